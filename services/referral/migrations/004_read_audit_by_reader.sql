-- The read audit of a data protection officer (GET /audit/reads): the reads its own
-- organisation's professionals made, oldest first, found by organisation and time.
CREATE INDEX IF NOT EXISTS personal_data_reads_reader ON personal_data_reads (reader_org, read_at);
