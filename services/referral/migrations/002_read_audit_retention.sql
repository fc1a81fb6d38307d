-- The read audit is kept for the statutory period and then deleted in batches, oldest
-- first (services/runtime/retention.py): find those rows by time alone.
CREATE INDEX IF NOT EXISTS personal_data_reads_read_at ON personal_data_reads (read_at);
