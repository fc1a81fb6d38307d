-- Every attempt to read a client's timeline: who asked, about whom, when, and the answer.
CREATE TABLE IF NOT EXISTS timeline_reads (
    id           bigserial PRIMARY KEY,
    read_at      timestamptz NOT NULL DEFAULT now(),
    reader_org   text NOT NULL,
    reader_sub   text NOT NULL,
    reader_role  text NOT NULL,
    client_id    uuid NOT NULL,
    granted      boolean NOT NULL,
    basis        text NOT NULL
);
CREATE INDEX IF NOT EXISTS timeline_reads_client_idx ON timeline_reads (client_id, read_at);
