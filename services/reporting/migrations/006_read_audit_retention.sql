-- The read audit is kept for the statutory period and then deleted in batches, oldest
-- first (services/runtime/retention.py): find those rows by time alone.
CREATE INDEX IF NOT EXISTS timeline_reads_read_at ON timeline_reads (read_at);
