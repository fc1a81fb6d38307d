-- The registration holding at `as_of` on the row itself (projections/firsts.py, LATEST_OF):
-- `replaced_at` is the recorded time of the client's next registration (by recorded time,
-- then the least event id), null when none. The home region as of `as_of` is then a join
-- PostgreSQL can hash, where it was a probe per counted row.
ALTER TABLE facts.clients ADD COLUMN replaced_at timestamptz;
UPDATE facts.clients t SET replaced_at = s.next
FROM (SELECT event_id, lead(recorded_at) OVER (
          PARTITION BY client_id ORDER BY recorded_at, event_id DESC) AS next
      FROM facts.clients) s
WHERE t.event_id = s.event_id AND s.next IS NOT NULL;
