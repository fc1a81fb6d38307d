-- The event store: the service's system of record and its outbox.
-- transaction_id orders events safely for the relay: a reader only takes events of
-- transactions older than every running one (pg_snapshot_xmin), so it never skips an event
-- whose transaction commits after a later position has become visible.
CREATE TABLE events (
    position        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id  xid8 NOT NULL DEFAULT pg_current_xact_id(),
    event_id        uuid NOT NULL UNIQUE,
    stream_id       text NOT NULL,
    stream_version  integer NOT NULL CHECK (stream_version >= 1),
    event_type      text NOT NULL,
    client_id       uuid,
    recorded_at     timestamptz NOT NULL,
    envelope        text NOT NULL,
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version)
);
CREATE INDEX events_commit_order ON events (transaction_id, position);
CREATE INDEX events_client ON events (client_id) WHERE client_id IS NOT NULL;

CREATE TABLE relay_checkpoints (
    name            text PRIMARY KEY,
    transaction_id  xid8 NOT NULL,
    position        bigint NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Idempotency-Key records, written in the same transaction as the append they answer.
CREATE TABLE idempotency_keys (
    organisation_id text NOT NULL,
    key             text NOT NULL,
    request_hash    text NOT NULL,
    status_code     integer NOT NULL,
    response        jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organisation_id, key)
);

-- Consumer bookkeeping: effectively-once processing and offsets kept with the effects.
CREATE TABLE processed_events (
    consumer        text NOT NULL,
    event_id        uuid NOT NULL,
    processed_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

CREATE TABLE consumer_offsets (
    consumer        text NOT NULL,
    topic           text NOT NULL,
    partition       integer NOT NULL,
    next_offset     bigint NOT NULL,
    PRIMARY KEY (consumer, topic, partition)
);
