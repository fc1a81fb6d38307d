-- The read audit of a data protection officer (GET /audit/reads): the timeline reads its own
-- organisation's professionals made, oldest first, found by organisation and time.
CREATE INDEX IF NOT EXISTS timeline_reads_reader ON timeline_reads (reader_org, read_at);
