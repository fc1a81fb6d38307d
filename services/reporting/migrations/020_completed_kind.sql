-- A completed assessment carries its assessment's start (projections/firsts.py, OPENED_BY):
-- `openings` is how many AssessmentStarted rows the id has; with exactly one, its date,
-- recorded time and kind are copied onto the completion (`opened_*`). assessments_completed
-- by kind then reads the kind on the completion, and probes the starts only for the rare id
-- with several (re-dated late records).
ALTER TABLE facts.assessments_completed
    ADD COLUMN openings integer,
    ADD COLUMN opened_on date,
    ADD COLUMN opened_recorded_at timestamptz,
    ADD COLUMN opened_kind text;

UPDATE facts.assessments_completed t
    SET (openings, opened_on, opened_recorded_at, opened_kind) = (
        o.n, CASE WHEN o.n = 1 THEN o.local_date END, CASE WHEN o.n = 1 THEN o.recorded_at END,
        CASE WHEN o.n = 1 THEN o.kind END)
FROM (SELECT e.event_id, count(x.event_id) AS n, min(x.local_date) AS local_date,
             min(x.recorded_at) AS recorded_at, min(x.kind) AS kind
      FROM facts.assessments_completed e
      LEFT JOIN facts.assessments_started x ON x.assessment_id = e.assessment_id
      GROUP BY e.event_id) o
WHERE t.event_id = o.event_id;
