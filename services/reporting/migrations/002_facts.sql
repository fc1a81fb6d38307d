-- Fact tables: one insert-only row per event, never updated, so `recorded_at <= as_of`
-- reproduces any past state. Every row carries business time (occurred_at and its
-- Europe/Helsinki date) and recorded time. A rebuild builds schema `facts_next` with
-- `CREATE TABLE ... (LIKE facts.<t> INCLUDING ALL)` and swaps it in by renaming.
CREATE SCHEMA IF NOT EXISTS facts;

CREATE TABLE facts.clients (
    event_id uuid PRIMARY KEY, occurred_at timestamptz NOT NULL, local_date date NOT NULL,
    recorded_at timestamptz NOT NULL,
    client_id text NOT NULL, home_region text, birth_year int, sex text);

CREATE TABLE facts.referrals (
    event_id uuid PRIMARY KEY, occurred_at timestamptz NOT NULL, local_date date NOT NULL,
    recorded_at timestamptz NOT NULL,
    referral_id text NOT NULL, client_id text, referring_organisation_id text,
    referring_org_kind text, target_organisation_id text, target_service text,
    reasons text[], triage text, unemployment_months int);
CREATE INDEX ON facts.referrals (local_date);

CREATE TABLE facts.referral_decisions (
    event_id uuid PRIMARY KEY, occurred_at timestamptz NOT NULL, local_date date NOT NULL,
    recorded_at timestamptz NOT NULL,
    referral_id text NOT NULL, client_id text, decision text NOT NULL, case_id text,
    reason text);
CREATE INDEX ON facts.referral_decisions (referral_id);

CREATE TABLE facts.cases_opened (
    event_id uuid PRIMARY KEY, occurred_at timestamptz NOT NULL, local_date date NOT NULL,
    recorded_at timestamptz NOT NULL,
    case_id text NOT NULL, client_id text, organisation_id text, service text,
    referral_id text, responsible_worker_id text);
CREATE INDEX ON facts.cases_opened (case_id);

CREATE TABLE facts.case_transfers (
    event_id uuid PRIMARY KEY, occurred_at timestamptz NOT NULL, local_date date NOT NULL,
    recorded_at timestamptz NOT NULL,
    case_id text NOT NULL, client_id text, from_organisation_id text, from_worker_id text,
    to_organisation_id text, to_worker_id text);
CREATE INDEX ON facts.case_transfers (case_id);

CREATE TABLE facts.cases_closed (
    event_id uuid PRIMARY KEY, occurred_at timestamptz NOT NULL, local_date date NOT NULL,
    recorded_at timestamptz NOT NULL,
    case_id text NOT NULL, client_id text, exit_destination text);
CREATE INDEX ON facts.cases_closed (case_id);

CREATE TABLE facts.feedback (
    event_id uuid PRIMARY KEY, occurred_at timestamptz NOT NULL, local_date date NOT NULL,
    recorded_at timestamptz NOT NULL,
    feedback_id text NOT NULL, client_id text, organisation_id text, service text,
    score int, felt_heard boolean, helped boolean);

CREATE TABLE facts.assessments_started (
    event_id uuid PRIMARY KEY, occurred_at timestamptz NOT NULL, local_date date NOT NULL,
    recorded_at timestamptz NOT NULL,
    assessment_id text NOT NULL, client_id text, case_id text, organisation_id text,
    kind text);
CREATE INDEX ON facts.assessments_started (client_id);

CREATE TABLE facts.assessments_completed (
    event_id uuid PRIMARY KEY, occurred_at timestamptz NOT NULL, local_date date NOT NULL,
    recorded_at timestamptz NOT NULL,
    assessment_id text NOT NULL, client_id text, conclusion text,
    benefit_recommendation text);

CREATE TABLE facts.assessments_cancelled (
    event_id uuid PRIMARY KEY, occurred_at timestamptz NOT NULL, local_date date NOT NULL,
    recorded_at timestamptz NOT NULL,
    assessment_id text NOT NULL, client_id text, reason text);

-- measure: work_ability_score (score = the 0-10 score), self_assessment (score = Kykyviisari
-- overall, may be null), labour_market_status (status).
CREATE TABLE facts.measurements (
    event_id uuid PRIMARY KEY, occurred_at timestamptz NOT NULL, local_date date NOT NULL,
    recorded_at timestamptz NOT NULL,
    measurement_id text NOT NULL, client_id text, measure text NOT NULL, phase text,
    score numeric, status text);
CREATE INDEX ON facts.measurements (client_id);

CREATE TABLE facts.health_checks (
    event_id uuid PRIMARY KEY, occurred_at timestamptz NOT NULL, local_date date NOT NULL,
    recorded_at timestamptz NOT NULL,
    health_check_id text NOT NULL, client_id text, organisation_id text,
    further_assessment_needed boolean);

-- change: agreed | revised
CREATE TABLE facts.support_plans (
    event_id uuid PRIMARY KEY, occurred_at timestamptz NOT NULL, local_date date NOT NULL,
    recorded_at timestamptz NOT NULL,
    plan_id text NOT NULL, client_id text, case_id text, change text NOT NULL,
    review_on date);

CREATE TABLE facts.consultations (
    event_id uuid PRIMARY KEY, occurred_at timestamptz NOT NULL, local_date date NOT NULL,
    recorded_at timestamptz NOT NULL,
    consultation_id text NOT NULL, client_id text, requesting_organisation_id text,
    requesting_org_kind text, requester_role text, consultant_organisation_id text,
    consultant_role text, topic text);

CREATE TABLE facts.engagements_started (
    event_id uuid PRIMARY KEY, occurred_at timestamptz NOT NULL, local_date date NOT NULL,
    recorded_at timestamptz NOT NULL,
    engagement_id text NOT NULL, client_id text, organisation_id text, coach_id text,
    case_id text);

CREATE TABLE facts.employer_contacts (
    event_id uuid PRIMARY KEY, occurred_at timestamptz NOT NULL, local_date date NOT NULL,
    recorded_at timestamptz NOT NULL,
    engagement_id text NOT NULL, client_id text, employer_id text, purpose text);

CREATE TABLE facts.engagements_ended (
    event_id uuid PRIMARY KEY, occurred_at timestamptz NOT NULL, local_date date NOT NULL,
    recorded_at timestamptz NOT NULL,
    engagement_id text NOT NULL, client_id text, outcome text);

CREATE TABLE facts.placements_started (
    event_id uuid PRIMARY KEY, occurred_at timestamptz NOT NULL, local_date date NOT NULL,
    recorded_at timestamptz NOT NULL,
    placement_id text NOT NULL, engagement_id text, client_id text, employer_id text,
    kind text, wage_subsidy boolean);

CREATE TABLE facts.placements_ended (
    event_id uuid PRIMARY KEY, occurred_at timestamptz NOT NULL, local_date date NOT NULL,
    recorded_at timestamptz NOT NULL,
    placement_id text NOT NULL, client_id text, reason text);

CREATE TABLE facts.fidelity_reviews (
    event_id uuid PRIMARY KEY, occurred_at timestamptz NOT NULL, local_date date NOT NULL,
    recorded_at timestamptz NOT NULL,
    review_id text NOT NULL, organisation_id text, total int);
