-- The raw, deduplicated cross-organisation event history (the audit log and replay source).
CREATE TABLE IF NOT EXISTS event_log (
    event_id     uuid PRIMARY KEY,
    ingest_seq   bigserial NOT NULL,
    source       text NOT NULL,
    type         text NOT NULL,
    subject      text NOT NULL,
    client_id    uuid,
    occurred_at  timestamptz NOT NULL,
    recorded_at  timestamptz NOT NULL,
    envelope     jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS event_log_client_idx ON event_log (client_id, occurred_at);
CREATE INDEX IF NOT EXISTS event_log_ingest_idx ON event_log (ingest_seq);
