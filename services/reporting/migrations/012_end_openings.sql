-- An end carries its id's opening (projections/firsts.py, OPENED_BY): `openings` is how many
-- opening rows the id has; with exactly one, its date, recorded time and the columns the
-- indicators group by are copied onto the end (`opened_*`). Cases closed and referrals
-- decided in a period are then read from the ends alone; only the rare id with several
-- openings (re-dated late records) joins them, through a partial index.
DO $$
DECLARE
    pair record;
    copied text;
BEGIN
    FOR pair IN SELECT * FROM (VALUES
        ('cases_closed', 'cases_opened', 'case_id',
         ARRAY['client_id', 'service', 'organisation_id', 'responsible_worker_id']),
        ('referral_decisions', 'referrals', 'referral_id',
         ARRAY['client_id', 'referring_org_kind', 'target_service', 'triage',
               'target_organisation_id'])
    ) AS t(ending, opening, id, columns)
    LOOP
        EXECUTE format('ALTER TABLE facts.%I ADD COLUMN openings integer,'
                       ' ADD COLUMN opened_on date, ADD COLUMN opened_recorded_at timestamptz',
                       pair.ending);
        FOREACH copied IN ARRAY pair.columns LOOP
            EXECUTE format('ALTER TABLE facts.%I ADD COLUMN %I text', pair.ending,
                           'opened_' || copied);
        END LOOP;
        EXECUTE format(
            'UPDATE facts.%1$I t SET (openings, opened_on, opened_recorded_at, %4$s) = (
                 o.n, CASE WHEN o.n = 1 THEN o.local_date END,
                 CASE WHEN o.n = 1 THEN o.recorded_at END, %5$s)
             FROM (SELECT e.event_id, count(x.event_id) AS n, min(x.local_date) AS local_date,
                          min(x.recorded_at) AS recorded_at, %6$s
                   FROM facts.%1$I e LEFT JOIN facts.%2$I x ON x.%3$I = e.%3$I
                   GROUP BY e.event_id) o
             WHERE t.event_id = o.event_id',
            pair.ending, pair.opening, pair.id,
            (SELECT string_agg(format('%I', 'opened_' || c), ', ') FROM unnest(pair.columns) c),
            (SELECT string_agg(format('CASE WHEN o.n = 1 THEN o.%I END', c), ', ')
             FROM unnest(pair.columns) c),
            (SELECT string_agg(format('min(x.%1$I) AS %1$I', c), ', ')
             FROM unnest(pair.columns) c));
        EXECUTE format('CREATE INDEX ON facts.%I (local_date) WHERE openings > 1', pair.ending);
    END LOOP;
END
$$;
