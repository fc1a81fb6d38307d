-- "No end known at `as_of`" on the opening row itself (projections/firsts.py, ENDED_BY):
-- `ended_at` is the earliest recorded time of a close (decision, CoachingEnded) of the id,
-- null when none exists. What is open on a date is then the rows with no end known at
-- `as_of` (an index range of the still open and the lately ended) plus those whose first
-- end is dated after the date (an index range of recent ends): neither grows with the
-- history. CoachingEnded gets the first-row mark of migration 009.
ALTER TABLE facts.engagements_ended ADD COLUMN superseded_at timestamptz;
UPDATE facts.engagements_ended t SET superseded_at = s.before
FROM (SELECT event_id, min(recorded_at) OVER (
          PARTITION BY engagement_id ORDER BY local_date, recorded_at, event_id
          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
      FROM facts.engagements_ended) s
WHERE t.event_id = s.event_id AND s.before IS NOT NULL;
CREATE INDEX ON facts.engagements_ended (local_date);

DO $$
DECLARE
    ends record;
BEGIN
    FOR ends IN SELECT * FROM (VALUES
        ('cases_opened', 'cases_closed', 'case_id'),
        ('referrals', 'referral_decisions', 'referral_id'),
        ('engagements_started', 'engagements_ended', 'engagement_id')
    ) AS t(opening, ending, id)
    LOOP
        EXECUTE format('ALTER TABLE facts.%I ADD COLUMN ended_at timestamptz', ends.opening);
        EXECUTE format(
            'UPDATE facts.%1$I t SET ended_at = e.ended
             FROM (SELECT %3$I, min(recorded_at) AS ended FROM facts.%2$I GROUP BY %3$I) e
             WHERE e.%3$I = t.%3$I', ends.opening, ends.ending, ends.id);
        EXECUTE format('CREATE INDEX ON facts.%I (local_date) WHERE ended_at IS NULL',
                       ends.opening);
        EXECUTE format('CREATE INDEX ON facts.%I (ended_at)', ends.opening);
    END LOOP;
END
$$;
