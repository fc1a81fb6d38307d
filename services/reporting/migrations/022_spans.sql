-- Referrals waiting on a date (referral_queue: made by then, decided after): a decision
-- with one referral carries the referral's date (`opened_on`, migration 012), so the
-- decisions spanning the date are a lookup in an index of the spans, not a scan of every
-- decision dated after it (indicators/selections.py: SPANNED). `least`: a decision dated
-- before its (re-dated) referral spans nothing, as that referral waits on no date.
CREATE INDEX ON facts.referral_decisions
    USING gist (daterange(least(opened_on, local_date), local_date)) WHERE openings = 1;
