-- Every fact row of a client carries its client's record key, feedback its own too
-- (projections/keys.py): the disclosure control's cell keys are then sums the statement
-- computes, where every count sent its units' ids to be keyed and summed in Python.
-- Null until keyed: the reporting service keys the existing rows when it starts (or when
-- its POLKU_PERTURBATION_KEY changed) and every row it projects after.
DO $$
DECLARE
    keyed record;
BEGIN
    FOR keyed IN SELECT table_name FROM information_schema.columns
                 WHERE table_schema = 'facts' AND column_name = 'client_id'
                 ORDER BY table_name
    LOOP
        EXECUTE format('ALTER TABLE facts.%I ADD COLUMN client_key bigint', keyed.table_name);
    END LOOP;
END
$$;
ALTER TABLE facts.feedback ADD COLUMN feedback_key bigint;

-- Every keyed unit by its key: a unit whose key another unit already has is found when it
-- is added (a sum of distinct keys would then count that key once).
CREATE TABLE record_key_units (
    record_key bigint PRIMARY KEY,
    unit text NOT NULL
);

-- Which key the stored keys are: at most one row, written when every fact row of a unit is
-- keyed with it and no two units share a key; without it, cell keys are summed in Python.
CREATE TABLE record_keys_of (
    fingerprint text NOT NULL,
    keyed_at timestamptz NOT NULL DEFAULT now()
);
