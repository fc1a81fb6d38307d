-- An id's first row as known at any `as_of`, on the row itself (projections/firsts.py):
-- `superseded_at` is the earliest recorded time of a row of the same id that sorts before it
-- (by date, recorded time, event id: INDICATORS.md, Ties), null when none does. A row is its
-- id's first as of `as_of` exactly when recorded_at <= as_of and superseded_at is null or
-- later than as_of: a filter, where the check of every earlier row was a probe per row.
-- The projector recomputes it for the ids of every batch, a rebuild for the whole table.

DO $$
DECLARE
    marked record;
BEGIN
    FOR marked IN SELECT * FROM (VALUES
        ('referrals', 'referral_id'), ('referral_decisions', 'referral_id'),
        ('cases_opened', 'case_id'), ('cases_closed', 'case_id'),
        ('assessments_started', 'assessment_id'), ('engagements_started', 'engagement_id'),
        ('placements_started', 'placement_id'), ('placements_ended', 'placement_id')
    ) AS t(tab, id)
    LOOP
        EXECUTE format('ALTER TABLE facts.%I ADD COLUMN superseded_at timestamptz', marked.tab);
        EXECUTE format(
            'UPDATE facts.%1$I t SET superseded_at = s.before
             FROM (SELECT event_id, min(recorded_at) OVER (
                       PARTITION BY %2$I ORDER BY local_date, recorded_at, event_id
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
                   FROM facts.%1$I) s
             WHERE t.event_id = s.event_id AND s.before IS NOT NULL', marked.tab, marked.id);
    END LOOP;
END
$$;

-- A client's home region as registered at `as_of` (the latest row recorded by then, ties by
-- event id) for every counted row grouped by region: one index-only probe, no sort.
CREATE INDEX ON facts.clients (client_id, recorded_at DESC, event_id) INCLUDE (home_region);
DROP INDEX IF EXISTS facts.clients_client_id_recorded_at_idx;
