-- Feedback carries its client's registrations too (projections/stamps.py, REGIONED), so
-- client_experience is counted in SQL, its region read on the row (cells.region_of) like
-- the other indicators' (013).
ALTER TABLE facts.feedback
    ADD COLUMN client_registrations integer,
    ADD COLUMN client_region text,
    ADD COLUMN client_registered_at timestamptz;

UPDATE facts.feedback x SET (client_registrations, client_region, client_registered_at)
    = (g.n, CASE WHEN g.n = 1 THEN g.region END, CASE WHEN g.n = 1 THEN g.at END)
FROM (SELECT c.client_id, count(*) AS n, min(c.home_region) AS region,
             min(c.recorded_at) AS at
      FROM facts.clients c GROUP BY c.client_id) g
WHERE g.client_id = x.client_id;
UPDATE facts.feedback SET client_registrations = 0 WHERE client_registrations IS NULL;

-- A registration finds its client's feedback to stamp.
CREATE INDEX ON facts.feedback (client_id);
