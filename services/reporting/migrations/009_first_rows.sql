-- An id's first row as known at any `as_of`, on the row itself (projections/firsts.py):
-- `superseded_at` is the earliest recorded time of a row of the same id that sorts before it
-- (by date, recorded time, event id: INDICATORS.md, Ties), null when none does. A row is its
-- id's first as of `as_of` exactly when recorded_at <= as_of and superseded_at is null or
-- later than as_of: a filter, where the check of every earlier row was a probe per row.
-- The projector recomputes it for the ids of every batch, a rebuild for the whole table.

ALTER TABLE facts.referrals ADD COLUMN superseded_at timestamptz;
UPDATE facts.referrals t SET superseded_at = s.before
FROM (SELECT event_id, min(recorded_at) OVER (
          PARTITION BY referral_id ORDER BY local_date, recorded_at, event_id
          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
      FROM facts.referrals) s
WHERE t.event_id = s.event_id AND s.before IS NOT NULL;

ALTER TABLE facts.referral_decisions ADD COLUMN superseded_at timestamptz;
UPDATE facts.referral_decisions t SET superseded_at = s.before
FROM (SELECT event_id, min(recorded_at) OVER (
          PARTITION BY referral_id ORDER BY local_date, recorded_at, event_id
          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
      FROM facts.referral_decisions) s
WHERE t.event_id = s.event_id AND s.before IS NOT NULL;

ALTER TABLE facts.cases_opened ADD COLUMN superseded_at timestamptz;
UPDATE facts.cases_opened t SET superseded_at = s.before
FROM (SELECT event_id, min(recorded_at) OVER (
          PARTITION BY case_id ORDER BY local_date, recorded_at, event_id
          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
      FROM facts.cases_opened) s
WHERE t.event_id = s.event_id AND s.before IS NOT NULL;

ALTER TABLE facts.cases_closed ADD COLUMN superseded_at timestamptz;
UPDATE facts.cases_closed t SET superseded_at = s.before
FROM (SELECT event_id, min(recorded_at) OVER (
          PARTITION BY case_id ORDER BY local_date, recorded_at, event_id
          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
      FROM facts.cases_closed) s
WHERE t.event_id = s.event_id AND s.before IS NOT NULL;

ALTER TABLE facts.assessments_started ADD COLUMN superseded_at timestamptz;
UPDATE facts.assessments_started t SET superseded_at = s.before
FROM (SELECT event_id, min(recorded_at) OVER (
          PARTITION BY assessment_id ORDER BY local_date, recorded_at, event_id
          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
      FROM facts.assessments_started) s
WHERE t.event_id = s.event_id AND s.before IS NOT NULL;

ALTER TABLE facts.engagements_started ADD COLUMN superseded_at timestamptz;
UPDATE facts.engagements_started t SET superseded_at = s.before
FROM (SELECT event_id, min(recorded_at) OVER (
          PARTITION BY engagement_id ORDER BY local_date, recorded_at, event_id
          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
      FROM facts.engagements_started) s
WHERE t.event_id = s.event_id AND s.before IS NOT NULL;

ALTER TABLE facts.placements_started ADD COLUMN superseded_at timestamptz;
UPDATE facts.placements_started t SET superseded_at = s.before
FROM (SELECT event_id, min(recorded_at) OVER (
          PARTITION BY placement_id ORDER BY local_date, recorded_at, event_id
          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
      FROM facts.placements_started) s
WHERE t.event_id = s.event_id AND s.before IS NOT NULL;

ALTER TABLE facts.placements_ended ADD COLUMN superseded_at timestamptz;
UPDATE facts.placements_ended t SET superseded_at = s.before
FROM (SELECT event_id, min(recorded_at) OVER (
          PARTITION BY placement_id ORDER BY local_date, recorded_at, event_id
          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
      FROM facts.placements_ended) s
WHERE t.event_id = s.event_id AND s.before IS NOT NULL;
-- A client's home region as registered at `as_of` (the latest row recorded by then, ties by
-- event id) for every counted row grouped by region: one index-only probe, no sort.
CREATE INDEX ON facts.clients (client_id, recorded_at DESC, event_id) INCLUDE (home_region);
DROP INDEX IF EXISTS facts.clients_client_id_recorded_at_idx;
