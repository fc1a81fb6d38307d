-- A close carries its case's opening (projections/firsts.py, OPENED_BY): `openings` is how
-- many CaseOpened rows the case has; with exactly one, its date, recorded time, client,
-- service and organisation are copied onto the close (`opened_*`). Cases closed in a period
-- are then read from the closes alone; only the rare case with several openings (re-dated
-- late records) joins them, through a partial index.
ALTER TABLE facts.cases_closed
    ADD COLUMN openings integer,
    ADD COLUMN opened_on date,
    ADD COLUMN opened_recorded_at timestamptz,
    ADD COLUMN opened_client_id text,
    ADD COLUMN opened_service text,
    ADD COLUMN opened_organisation_id text;
UPDATE facts.cases_closed t
SET (openings, opened_on, opened_recorded_at, opened_client_id, opened_service,
     opened_organisation_id) = (
    o.n, CASE WHEN o.n = 1 THEN o.local_date END, CASE WHEN o.n = 1 THEN o.recorded_at END,
    CASE WHEN o.n = 1 THEN o.client_id END, CASE WHEN o.n = 1 THEN o.service END,
    CASE WHEN o.n = 1 THEN o.organisation_id END)
FROM (SELECT e.event_id, count(c.event_id) AS n, min(c.local_date) AS local_date,
             min(c.recorded_at) AS recorded_at, min(c.client_id) AS client_id,
             min(c.service) AS service, min(c.organisation_id) AS organisation_id
      FROM facts.cases_closed e LEFT JOIN facts.cases_opened c ON c.case_id = e.case_id
      GROUP BY e.event_id) o
WHERE t.event_id = o.event_id;
CREATE INDEX ON facts.cases_closed (local_date) WHERE openings > 1;
