-- Indexes that match the indicators' predicates (docs/PERFORMANCE.md, "Indicators at national
-- scale"): every indicator selects what it counts by business date in the period
-- (`local_date`), then looks up related facts by natural id (`*_id`) or by client and date,
-- each bounded by `recorded_at <= as_of` (a filter on the few rows an index finds). The
-- fact tables stay insert-only; a rebuild copies these with LIKE ... INCLUDING ALL.

-- What the period selects.
CREATE INDEX ON facts.referral_decisions (local_date);
CREATE INDEX ON facts.cases_opened (local_date);
CREATE INDEX ON facts.cases_closed (local_date);
CREATE INDEX ON facts.case_transfers (local_date);
CREATE INDEX ON facts.feedback (local_date);
CREATE INDEX ON facts.assessments_started (local_date);
CREATE INDEX ON facts.assessments_completed (local_date);
CREATE INDEX ON facts.measurements (measure, local_date);
CREATE INDEX ON facts.health_checks (local_date);
CREATE INDEX ON facts.consultations (local_date);
CREATE INDEX ON facts.engagements_started (local_date);
CREATE INDEX ON facts.placements_started (local_date);
CREATE INDEX ON facts.fidelity_reviews (local_date);

-- "The first/latest of its id" and the lookups by id: (id, date, recorded, event id) in the
-- order the Ties rule compares them, so the first or latest is one index probe, unsorted.
CREATE INDEX ON facts.referrals (referral_id, local_date, recorded_at, event_id);
CREATE INDEX ON facts.referral_decisions (referral_id, local_date, recorded_at, event_id);
DROP INDEX IF EXISTS facts.referral_decisions_referral_id_idx;
CREATE INDEX ON facts.cases_opened (case_id, local_date, recorded_at, event_id);
DROP INDEX IF EXISTS facts.cases_opened_case_id_idx;
CREATE INDEX ON facts.cases_closed (case_id, local_date, recorded_at, event_id);
DROP INDEX IF EXISTS facts.cases_closed_case_id_idx;
CREATE INDEX ON facts.case_transfers (case_id, local_date, recorded_at, event_id);
DROP INDEX IF EXISTS facts.case_transfers_case_id_idx;
CREATE INDEX ON facts.assessments_started (assessment_id, local_date, recorded_at, event_id);
CREATE INDEX ON facts.assessments_cancelled (assessment_id);
CREATE INDEX ON facts.support_plans (case_id, local_date) WHERE change = 'agreed';
CREATE INDEX ON facts.engagements_started (engagement_id, local_date, recorded_at, event_id);
CREATE INDEX ON facts.engagements_ended (engagement_id, local_date);
CREATE INDEX ON facts.employer_contacts (engagement_id, local_date);
CREATE INDEX ON facts.placements_started (placement_id, local_date, recorded_at, event_id);
CREATE INDEX ON facts.placements_ended (placement_id, local_date, recorded_at, event_id);

-- A client's facts by date: the next case, the first assessment on or after a date, the
-- baseline before a later measurement, the placements in an engagement's window, and the
-- home region as registered at `as_of`.
CREATE INDEX ON facts.cases_opened (client_id, local_date);
CREATE INDEX ON facts.assessments_started (client_id, local_date);
DROP INDEX IF EXISTS facts.assessments_started_client_id_idx;
CREATE INDEX ON facts.measurements (client_id, measure, local_date);
DROP INDEX IF EXISTS facts.measurements_client_id_idx;
CREATE INDEX ON facts.placements_started (client_id, local_date);
CREATE INDEX ON facts.clients (client_id, recorded_at DESC);
