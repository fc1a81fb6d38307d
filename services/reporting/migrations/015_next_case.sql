-- A close carries the first opening of all of its client's next cases (projections/stamps.py,
-- NEXT): pathway_transitions reads `to_service` on the close instead of probing the client's
-- cases for each close whose next case exists.
ALTER TABLE facts.cases_closed
    ADD COLUMN next_service text,
    ADD COLUMN next_recorded_at timestamptz,
    ADD COLUMN next_superseded_at timestamptz;

UPDATE facts.cases_closed e SET (next_service, next_recorded_at, next_superseded_at)
    = (n.service, n.recorded_at, n.superseded_at)
FROM facts.cases_closed c CROSS JOIN LATERAL (
    SELECT x.service, x.recorded_at, x.superseded_at FROM facts.cases_opened x
    WHERE x.client_id = c.opened_client_id AND x.case_id <> c.case_id
      AND x.local_date BETWEEN c.local_date AND c.local_date + 180
    ORDER BY x.local_date, x.recorded_at, x.case_id, x.event_id LIMIT 1) n
WHERE e.event_id = c.event_id AND c.openings = 1 AND c.next_opened_at IS NOT NULL;
