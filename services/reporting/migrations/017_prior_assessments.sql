-- A started assessment carries the earliest recorded time of an earlier assessment of its
-- client and kind dated 0–180 days before it (projections/stamps.py, PRIOR):
-- repeat_assessments looks for the latest one not cancelled only where one exists by as_of.
ALTER TABLE facts.assessments_started ADD COLUMN prior_recorded_at timestamptz;

UPDATE facts.assessments_started t SET prior_recorded_at = s.prior
FROM (SELECT a.event_id, (
          SELECT min(o.recorded_at) FROM facts.assessments_started o
          WHERE o.client_id = a.client_id AND o.kind = a.kind
            AND o.assessment_id <> a.assessment_id
            AND o.local_date BETWEEN a.local_date - 180 AND a.local_date
            AND (o.local_date, o.recorded_at) < (a.local_date, a.recorded_at)) AS prior
      FROM facts.assessments_started a) s
WHERE t.event_id = s.event_id AND s.prior IS NOT NULL;
