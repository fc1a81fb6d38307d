-- A case opening carries the earliest date of an agreed support plan of its case and of the
-- referral it names, each with the earliest recorded time of one on that date
-- (projections/stamps.py, PLANNED): support_plan_coverage and days_to_support_plan read
-- them on the opening instead of probing the plans and the referral of every case.
ALTER TABLE facts.cases_opened
    ADD COLUMN planned_on date,
    ADD COLUMN planned_recorded_at timestamptz,
    ADD COLUMN referred_on date,
    ADD COLUMN referred_recorded_at timestamptz;

UPDATE facts.cases_opened t
    SET (planned_on, planned_recorded_at, referred_on, referred_recorded_at)
    = (s.planned_on, s.planned_recorded_at, s.referred_on, s.referred_recorded_at)
FROM (SELECT o.event_id, p.local_date AS planned_on, p.recorded_at AS planned_recorded_at,
             r.local_date AS referred_on, r.recorded_at AS referred_recorded_at
      FROM facts.cases_opened o LEFT JOIN LATERAL (
          SELECT p.local_date, p.recorded_at FROM facts.support_plans p
          WHERE p.case_id = o.case_id AND p.change = 'agreed'
          ORDER BY p.local_date, p.recorded_at LIMIT 1) p ON true
      LEFT JOIN LATERAL (
          SELECT r.local_date, r.recorded_at FROM facts.referrals r
          WHERE r.referral_id = o.referral_id
          ORDER BY r.local_date, r.recorded_at LIMIT 1) r ON true) s
WHERE t.event_id = s.event_id
  AND (s.planned_on IS NOT NULL OR s.referred_on IS NOT NULL);

-- A referral finds the openings that name it to stamp.
CREATE INDEX ON facts.cases_opened (referral_id) WHERE referral_id IS NOT NULL;
