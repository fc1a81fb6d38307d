-- A close of a case with one opening carries, per window of measurement_coverage,
-- follow_up_coverage and pathway_transitions, the earliest recorded time of a score or
-- self-assessment of its client dated in it, or of another case of the client opened
-- within 180 days of the close (projections/stamps.py): "one exists as of as_of" is then a
-- comparison on the close, not a probe into the client's facts per case.
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
