-- A record unit (a feedback: projections/keys.py, RECORDS) almost always has one fact row;
-- its rows say whether they are not the only one (`shared`), and `record_rows` holds each
-- record once, so that a second row is found (and every row of it marked) as it is added.
-- A count of records then sums the record keys of its unshared rows without DISTINCT.
ALTER TABLE facts.feedback ADD COLUMN shared boolean NOT NULL DEFAULT false;

CREATE TABLE record_rows (
    unit text PRIMARY KEY
);

INSERT INTO record_rows (unit) SELECT feedback_id FROM facts.feedback ON CONFLICT DO NOTHING;

UPDATE facts.feedback t SET shared = true
FROM (SELECT feedback_id FROM facts.feedback GROUP BY feedback_id HAVING count(*) > 1) s
WHERE t.feedback_id = s.feedback_id;
