-- A measurement carries its successor (projections/stamps.py, LATER): the date and recorded
-- time of the client's next measurement of the measure, of any phase and of its phase, in
-- the order of "latest". clients_scored reads "the client's latest score in its row" on
-- the row instead of ranking the period's scores with a window.
ALTER TABLE facts.measurements
    ADD COLUMN later_on date,
    ADD COLUMN later_recorded_at timestamptz,
    ADD COLUMN later_phase_on date,
    ADD COLUMN later_phase_recorded_at timestamptz;

UPDATE facts.measurements t SET
    (later_on, later_recorded_at, later_phase_on, later_phase_recorded_at)
    = (s.later_on, s.later_recorded_at, s.later_phase_on, s.later_phase_recorded_at)
FROM (SELECT event_id, lead(local_date) OVER w AS later_on,
             lead(recorded_at) OVER w AS later_recorded_at,
             lead(local_date) OVER p AS later_phase_on,
             lead(recorded_at) OVER p AS later_phase_recorded_at
      FROM facts.measurements WHERE client_id IS NOT NULL
      WINDOW w AS (PARTITION BY client_id, measure
                   ORDER BY local_date, recorded_at, event_id DESC),
             p AS (PARTITION BY client_id, measure, phase
                   ORDER BY local_date, recorded_at, event_id DESC)) s
WHERE t.event_id = s.event_id AND (s.later_on IS NOT NULL OR s.later_phase_on IS NOT NULL);
