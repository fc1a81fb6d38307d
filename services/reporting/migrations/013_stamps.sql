-- Stamps (projections/stamps.py). A close of a case with one opening carries, per window
-- of measurement_coverage, follow_up_coverage and pathway_transitions, the earliest
-- recorded time of a score or self-assessment of its client dated in it, or of another
-- case of the client opened within 180 days of the close: "one exists as of as_of" is then
-- a comparison on the close, not a probe into the client's facts per case.
ALTER TABLE facts.cases_closed
    ADD COLUMN measured_baseline_at timestamptz,
    ADD COLUMN measured_end_at timestamptz,
    ADD COLUMN measured_follow_up_at timestamptz,
    ADD COLUMN next_opened_at timestamptz;

UPDATE facts.cases_closed e SET
    measured_baseline_at = (
        SELECT min(x.recorded_at) FROM facts.measurements x
        WHERE x.client_id = e.opened_client_id
          AND x.measure IN ('work_ability_score', 'self_assessment') AND x.phase = 'baseline'
          AND x.local_date BETWEEN e.opened_on - 30 AND e.local_date),
    measured_end_at = (
        SELECT min(x.recorded_at) FROM facts.measurements x
        WHERE x.client_id = e.opened_client_id
          AND x.measure IN ('work_ability_score', 'self_assessment') AND x.phase = 'end'
          AND x.local_date BETWEEN e.opened_on AND e.local_date + 30),
    measured_follow_up_at = (
        SELECT min(x.recorded_at) FROM facts.measurements x
        WHERE x.client_id = e.opened_client_id
          AND x.measure IN ('work_ability_score', 'self_assessment') AND x.phase = 'follow_up'
          AND x.local_date > e.local_date),
    next_opened_at = (
        SELECT min(x.recorded_at) FROM facts.cases_opened x
        WHERE x.client_id = e.opened_client_id AND x.case_id <> e.case_id
          AND x.local_date BETWEEN e.local_date AND e.local_date + 180)
WHERE e.openings = 1;

-- A measurement or an opening finds the closes of its client's cases to stamp.
CREATE INDEX ON facts.cases_closed (opened_client_id) WHERE openings = 1;

-- A later measurement (end, follow-up) carries the latest of its client's baselines of the
-- measure with a value dated on or before it, whenever recorded (projections/stamps.py):
-- work_ability_change, self_assessment_change and labour_market_outcome read it when it was
-- recorded by as_of, instead of looking it up per pair.
ALTER TABLE facts.measurements
    ADD COLUMN baseline_recorded_at timestamptz,
    ADD COLUMN baseline_score numeric,
    ADD COLUMN baseline_status text;

UPDATE facts.measurements t
SET (baseline_recorded_at, baseline_score, baseline_status) = (b.recorded_at, b.score, b.status)
FROM facts.measurements l CROSS JOIN LATERAL (
    SELECT b.recorded_at, b.score, b.status FROM facts.measurements b
    WHERE b.client_id = l.client_id AND b.measure = l.measure AND b.phase = 'baseline'
      AND b.local_date <= l.local_date
      AND CASE l.measure WHEN 'work_ability_score' THEN b.score IS NOT NULL
                         WHEN 'self_assessment' THEN b.score IS NOT NULL
                         WHEN 'labour_market_status' THEN b.status IS NOT NULL ELSE false END
    ORDER BY b.local_date DESC, b.recorded_at DESC, b.event_id LIMIT 1) b
WHERE t.event_id = l.event_id AND l.phase IN ('end', 'follow_up');

-- A referral carries its client's first assessment started on or after it, whenever
-- recorded (projections/stamps.py): days_to_assessment reads it when it was recorded by
-- as_of, instead of joining every assessment ever started.
ALTER TABLE facts.referrals
    ADD COLUMN assessed_on date,
    ADD COLUMN assessed_recorded_at timestamptz;

UPDATE facts.referrals t SET (assessed_on, assessed_recorded_at) = (a.local_date, a.recorded_at)
FROM facts.referrals r CROSS JOIN LATERAL (
    SELECT a.local_date, a.recorded_at FROM facts.assessments_started a
    WHERE a.client_id = r.client_id AND a.local_date >= r.local_date
    ORDER BY a.local_date, a.recorded_at LIMIT 1) a
WHERE t.event_id = r.event_id;

-- An assessment finds the referrals of its client to stamp.
CREATE INDEX ON facts.referrals (client_id);

-- Every row indicators count clients in carries its client's registrations: how many, and
-- with exactly one its region and recorded time (projections/stamps.py, REGIONED):
-- group_by=region reads the region as of as_of on the row instead of joining every client.
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('referrals', 'client_id'), ('referral_decisions', 'opened_client_id'),
        ('cases_opened', 'client_id'), ('cases_closed', 'opened_client_id'),
        ('assessments_started', 'client_id'), ('assessments_completed', 'client_id'),
        ('health_checks', 'client_id'), ('engagements_started', 'client_id'),
        ('placements_started', 'client_id'), ('measurements', 'client_id')
    ) AS x(name, client)
    LOOP
        EXECUTE format('ALTER TABLE facts.%I ADD COLUMN client_registrations integer,'
                       ' ADD COLUMN client_region text,'
                       ' ADD COLUMN client_registered_at timestamptz', t.name);
        EXECUTE format(
            'UPDATE facts.%1$I x SET (client_registrations, client_region, client_registered_at)
                 = (g.n, CASE WHEN g.n = 1 THEN g.region END, CASE WHEN g.n = 1 THEN g.at END)
             FROM (SELECT c.client_id, count(*) AS n, min(c.home_region) AS region,
                          min(c.recorded_at) AS at
                   FROM facts.clients c GROUP BY c.client_id) g
             WHERE g.client_id = x.%2$I', t.name, t.client);
        EXECUTE format('UPDATE facts.%I SET client_registrations = 0'
                       ' WHERE client_registrations IS NULL', t.name);
    END LOOP;
END
$$;

-- A registration finds its client's rows to stamp.
CREATE INDEX ON facts.assessments_completed (client_id);
CREATE INDEX ON facts.health_checks (client_id);
CREATE INDEX ON facts.engagements_started (client_id);
CREATE INDEX ON facts.referral_decisions (opened_client_id) WHERE openings = 1;
