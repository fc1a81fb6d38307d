-- v2: an Idempotency-Key record stores the command's outcome (application.Outcome) in
-- `response`, not an HTTP status: the bus speaks no HTTP. `status_code` stays for records
-- written before (read as legacy outcomes until they expire).
ALTER TABLE idempotency_keys ALTER COLUMN status_code DROP NOT NULL;
