-- Bounded growth (retention.py): what the periodic maintenance needs to find old rows
-- without reading whole tables.

-- Idempotency records expire: the maintenance deletes those older than the TTL.
CREATE INDEX IF NOT EXISTS idempotency_keys_created_at ON idempotency_keys (created_at);

-- Each processed event id remembers where it was consumed, so that its row can be pruned
-- once the consumer's stored offset for that partition is past it (by the redelivery
-- window). Rows written before this migration have no position and are pruned by age.
ALTER TABLE processed_events
    ADD COLUMN IF NOT EXISTS topic        text,
    ADD COLUMN IF NOT EXISTS partition    integer,
    ADD COLUMN IF NOT EXISTS topic_offset bigint;
CREATE INDEX IF NOT EXISTS processed_events_position
    ON processed_events (consumer, topic, partition, topic_offset);
CREATE INDEX IF NOT EXISTS processed_events_unplaced
    ON processed_events (processed_at) WHERE topic IS NULL;
