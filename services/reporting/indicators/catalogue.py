"""The 30 indicators of INDICATORS.md: names, definitions, group keys and how each is computed.

Readings chosen where INDICATORS.md leaves room (the most literal one each time):

* Ordering: "first"/"latest" compare business *dates* and then recorded time (Ties); the
  time of day of `occurred_at` never breaks a tie.
* Facts from one stream arrive in stream order, so a `CaseClosed`, transfer or
  `ReferralAccepted` never exists without its `CaseOpened`/`ReferralMade`; cases and
  referrals whose opening event does not exist at `as_of` are not counted.
* `referral_acceptance_rate`: the referral's first decision (by date, then recorded) is its
  decision; a first decision that is a withdrawal leaves the referral out.
* `days_to_assessment`, `days_to_first_employer_contact`: the first event on or after the
  start date; a contact dated before the engagement's start still counts (negative days).
* `work_ability_change`, `self_assessment_change`, `labour_market_outcome`: a baseline dated
  the same day as the later measurement counts whatever its recorded time ("dated on or
  before"); "(same date: the later recorded)" only picks among baselines. Month is the later
  measurement's. A self-assessment with null `overall` is neither a later value nor a baseline.
* `coaching_employment_rate`: qualifying placements are the client's placements (any
  engagement or none) whose start date lies in the window [engagement start, earlier of
  `CoachingEnded` date and `to`]. With `group_by=organisation` a client counts in each
  organisation whose engagement is active, judged on that organisation's windows.
* `days_to_support_plan`: when the case names a referral whose `ReferralMade` does not exist
  at `as_of`, the open date is used.
* `clients_served`: `cases_opened`/`cases_closed` count the row's counted cases opened/closed
  with a date in the period.
* `caseload`: n is the number of distinct clients in the row; a case without a responsible
  worker is left out; `max` is the largest number of open cases of one worker in the row.
* `referral_queue`: the wait is `to` − referral date; any decision dated on or before `to`
  ends waiting.
* `repeat_assessments`: the assessment counted may itself be cancelled; only the earlier one
  must not be cancelled at `as_of`. An earlier one on the same date must be recorded earlier.
* `exit_destinations`, `pathway_transitions`: `share` is over every case closed in the
  period with the same values of the row's other keys, suppressed rows included; suppressed
  rows have `share` null. `pathway_transitions` pairs a case only with a *different* case.
* `follow_up_coverage`: follow-ups are work ability scores and self-assessments (labour market
  status is not a measurement of work ability), phase `follow_up`, dated after the close date.
* `measurement_coverage`: the baseline window is open date − 30 … close date, the end window
  open date … close date + 30, both inclusive.
* `client_experience`: anonymous feedback has the organisation's region; feedback with a
  client whose `ClientRegistered` does not exist at `as_of` has region null.
* `fidelity_score`: n is the number of reviews; `value` the total of the latest review in
  the row (with `month`, the latest of that month).
* Rows are sorted by their group values (nulls last).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from services.reporting.indicators import (
    assessments,
    cases,
    cells,
    coaching,
    experience,
    measurements,
    plans,
    referrals,
    scores,
)
from services.reporting.indicators.cells import CellReducer, CellSql
from services.reporting.indicators.query import Query
from services.reporting.indicators.rows import Item, NMode, Reducer

ItemsOf = Callable[[Query], Awaitable[list[Item]]]
CellsOf = Callable[[Query], CellSql]


@dataclass(frozen=True)
class Indicator:
    id: str
    name_fi: str
    name_en: str
    definition: str
    group_by: tuple[str, ...]
    items: ItemsOf = field(repr=False)
    reducer: Reducer = field(repr=False)
    extras: tuple[str, ...] = ()
    always: tuple[str, ...] = ()
    n_mode: NMode = "clients"
    zero_value: bool = False
    zero_extras: tuple[str, ...] = ()
    suppress: bool = True
    # Aggregated in SQL (cells.py): what it counts and the reducer of a cell. `items` and
    # `reducer` stay its reference definition.
    cells: CellsOf | None = field(default=None, repr=False)
    cell_reducer: CellReducer | None = field(default=None, repr=False)

    @property
    def empty_row(self) -> dict[str, Any] | None:
        """Values of the one row when nothing is counted (None: always-grouped, no row)."""
        if self.always:
            return None
        return {"value": 0 if self.zero_value else None} | {
            name: (0 if name in self.zero_extras else None) for name in self.extras
        }

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id, "name_fi": self.name_fi, "name_en": self.name_en,
            "definition": self.definition, "group_by": list(self.group_by),
            "always_group_by": list(self.always), "extras": list(self.extras),
        }


_R, _M = "region", "month"
_SO = ("service", "organisation")
_TR = ("target_service", "referring_org_kind")

INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "referrals_made", "Tehdyt ohjaukset", "Referrals made",
        "Count of ReferralMade in the period; with group_by reason a referral counts once "
        "under each of its reasons.",
        ("referring_org_kind", "target_service", "reason", "triage", _R, _M),
        referrals.referrals_made, referrals.count, zero_value=True,
        cells=referrals.referrals_made_cells, cell_reducer=cells.count_cell,
    ),
    Indicator(
        "referral_acceptance_rate", "Ohjausten hyväksymisaste", "Referral acceptance rate",
        "Accepted ÷ (accepted + declined) of referrals whose decision is dated in the period, "
        "whenever made; month is the decision's month, other groups from the ReferralMade.",
        (*_TR, _R, _M), referrals.referral_acceptance_rate, referrals.acceptance,
        cells=referrals.acceptance_cells, cell_reducer=referrals.acceptance_cell,
    ),
    Indicator(
        "days_to_assessment", "Odotusaika arviointiin (pv)", "Days to assessment",
        "Median (and p90) days from each ReferralMade in the period to the client's first "
        "AssessmentStarted on or after the referral date; referrals without one left out.",
        (*_TR, _R, _M), referrals.days_to_assessment, referrals.median_p90, ("p90",),
        cells=referrals.days_to_assessment_cells, cell_reducer=cells.median_p90_cell,
    ),
    Indicator(
        "active_clients", "Avoimet asiakkuudet päivänä", "Active clients on date",
        "Distinct clients with a case open on date `to`; organisation is the holder on `to`.",
        (*_SO, _R), cases.active_clients, cases.distinct_clients, zero_value=True,
        cells=cases.active_clients_cells, cell_reducer=cases.distinct_clients_cell,
    ),
    Indicator(
        "case_duration_days", "Asiakkuuden kesto (pv)", "Case duration (days)",
        "Median (mean, p90) of close date − open date of cases closed in the period.",
        (*_SO, "exit_destination", _R, _M), cases.case_duration_days, cases.durations,
        ("mean", "p90"),
        cells=cases.case_duration_days_cells, cell_reducer=cases.durations_cell,
    ),
    Indicator(
        "exit_destinations", "Jatkopolut", "Exit destinations",
        "Count of cases closed in the period per exit destination; share of all cases closed "
        "in the row's other groups.",
        ("exit_destination", *_SO, _R, _M), cases.exit_destinations, cases.exits, ("share",),
        always=("exit_destination",),
        cells=cases.exit_destinations_cells, cell_reducer=cases.exits_cell,
    ),
    Indicator(
        "assessments_completed", "Valmistuneet arvioinnit", "Assessments completed",
        "Count of AssessmentCompleted in the period.",
        ("kind", "conclusion", "benefit_recommendation", _R, _M),
        assessments.assessments_completed, assessments.count, zero_value=True,
        cells=assessments.assessments_completed_cells, cell_reducer=cells.count_cell,
    ),
    Indicator(
        "health_checks", "Työttömien terveystarkastukset", "Health checks of the unemployed",
        "Count of HealthCheckCompleted in the period.",
        ("organisation", _R, _M), assessments.health_checks, assessments.count,
        zero_value=True,
        cells=assessments.health_checks_cells, cell_reducer=cells.count_cell,
    ),
    Indicator(
        "support_plan_coverage", "Työkyvyn tuen suunnitelman kattavuus",
        "Support plan coverage",
        "Share of work ability assessment/coordination cases opened in the period that have "
        "a SupportPlanAgreed for the case.",
        (*_SO, _R, _M), plans.support_plan_coverage, plans.coverage,
        cells=plans.support_plan_coverage_cells, cell_reducer=plans.coverage_cell,
    ),
    Indicator(
        "work_ability_change", "Työkykypistemäärän muutos", "Work ability score change",
        "Mean change per client and later phase (end, follow_up): latest score of the phase "
        "dated in the period minus the latest baseline dated on or before it; "
        "improved_share (≥ +1), worsened_share (≤ −1).",
        ("phase", _R, _M), measurements.work_ability_change, measurements.score_change,
        ("improved_share", "worsened_share"),
        cells=measurements.work_ability_change_cells, cell_reducer=measurements.change_cell,
    ),
    Indicator(
        "self_assessment_change", "Kykyviisarin muutos", "Kykyviisari change",
        "As work_ability_change with the Kykyviisari overall; improved_share (> 0), "
        "worsened_share (< 0).",
        ("phase", _R, _M), measurements.self_assessment_change, measurements.overall_change,
        ("improved_share", "worsened_share"),
        cells=measurements.self_assessment_change_cells, cell_reducer=measurements.change_cell,
    ),
    Indicator(
        "follow_up_coverage", "Seurantamittausten kattavuus", "Follow-up measurement coverage",
        "Share of cases closed in the period at least 90 days before the as_of date with a "
        "follow_up measurement (score or self-assessment) dated after the close.",
        (*_SO, _R, _M), measurements.follow_up_coverage, measurements.coverage,
        cells=measurements.follow_up_coverage_cells, cell_reducer=measurements.coverage_cell,
    ),
    Indicator(
        "coaching_employment_rate", "Työllistyminen työhönvalmennuksesta",
        "Employment from job coaching",
        "Share of clients with an engagement active in the period who have an open market or "
        "pay-subsidised job placement from an engagement's start to the earlier of its end "
        "and `to`; any_placement_share for any placement kind.",
        ("organisation", _R), coaching.coaching_employment_rate, coaching.employment,
        ("any_placement_share",),
        cells=coaching.coaching_employment_rate_cells, cell_reducer=coaching.employment_cell,
    ),
    Indicator(
        "days_to_first_employer_contact", "Aika ensimmäiseen työnantajakontaktiin (pv)",
        "Days to first employer contact",
        "Median days from the start of engagements started in the period to their first "
        "EmployerContacted; share_within_30 (≤ 30 days).",
        ("organisation", _R, _M), coaching.days_to_first_employer_contact,
        coaching.contact_days, ("share_within_30",),
        cells=coaching.days_to_first_employer_contact_cells,
        cell_reducer=coaching.contact_days_cell,
    ),
    Indicator(
        "placements_started", "Alkaneet työ- ja koulutusjaksot", "Placements started",
        "Count of PlacementStarted in the period.",
        ("kind", "wage_subsidy", _R, _M), coaching.placements_started, coaching.count,
        zero_value=True,
        cells=coaching.placements_started_cells, cell_reducer=cells.count_cell,
    ),
    Indicator(
        "placement_retention_90d", "Jakson jatkuminen 90 pv", "Placement retention 90 days",
        "Share of placements started in the period (at least 90 days before the as_of date) "
        "not ended within 90 days; an end converted_to_permanent counts as continuing.",
        ("kind", _R, _M), coaching.placement_retention_90d, coaching.retention,
        cells=coaching.placement_retention_90d_cells, cell_reducer=coaching.retention_cell,
    ),
    Indicator(
        "client_experience", "Asiakaskokemus (NPS)", "Client experience (NPS)",
        "NPS of ClientFeedbackGiven in the period; mean_score, helped_share, "
        "felt_heard_share. n counts responses.",
        (*_SO, _R, _M), experience.client_experience, experience.experience,
        ("mean_score", "helped_share", "felt_heard_share"), n_mode="records",
        cells=experience.experience_cells, cell_reducer=experience.experience_cell,
    ),
    Indicator(
        "responsibility_transfers", "Asiakasvastuun siirrot", "Responsibility transfers",
        "Count of ResponsibilityTransferred in the period.",
        ("from_org_kind", "to_org_kind", _R, _M), cases.responsibility_transfers, cases.count,
        zero_value=True,
    ),
    Indicator(
        "consultations", "Konsultaatiot", "Consultations",
        "Count of ConsultationGiven in the period; n counts consultations; region is the "
        "requesting organisation's.",
        ("requesting_org_kind", "consultant_role", "topic", _R, _M),
        assessments.consultations, assessments.count, n_mode="records", zero_value=True,
    ),
    Indicator(
        "clients_served", "Asiakasmäärä kaudella", "Clients served in period",
        "Distinct clients with a case open at any time in the period; cases_opened and "
        "cases_closed of the row in the period.",
        (*_SO, _R), cases.clients_served, cases.served, ("cases_opened", "cases_closed"),
        zero_value=True, zero_extras=("cases_opened", "cases_closed"),
        cells=cases.clients_served_cells, cell_reducer=cases.served_cell,
    ),
    Indicator(
        "caseload", "Asiakkaita vastuutyöntekijää kohden", "Caseload per responsible worker",
        "Median open cases per responsible worker holding at least one open case on `to`; "
        "max, workers.",
        (*_SO, _R), cases.caseload, cases.loads, ("max", "workers"), zero_extras=("workers",),
        cells=cases.caseload_cells, cell_reducer=cases.loads_cell,
    ),
    Indicator(
        "referral_queue", "Ohjausjono", "Referral queue",
        "Referrals made on or before `to` without a decision dated on or before `to`; "
        "median_wait_days, max_wait_days (`to` − referral date).",
        ("target_service", "target_organisation", _R), referrals.referral_queue,
        referrals.queue, ("median_wait_days", "max_wait_days"), zero_value=True,
        cells=referrals.queue_cells, cell_reducer=referrals.queue_cell,
    ),
    Indicator(
        "days_to_support_plan", "Aika tuen suunnitelmaan (pv)", "Days to support plan",
        "Median (p90) days from the case's referral date (open date without referral) to its "
        "first SupportPlanAgreed, for work ability cases opened in the period with a plan.",
        (*_SO, _R, _M), plans.days_to_support_plan, plans.median_p90, ("p90",),
        cells=plans.days_to_support_plan_cells, cell_reducer=cells.median_p90_cell,
    ),
    Indicator(
        "measurement_coverage", "Alku- ja loppumittausten kattavuus",
        "Baseline and end measurement coverage",
        "Share of cases closed in the period with both a baseline (open − 30 d … close) and "
        "an end (open … close + 30 d) measurement; baseline_share, end_share.",
        (*_SO, _R, _M), measurements.measurement_coverage, measurements.baseline_and_end,
        ("baseline_share", "end_share"),
        cells=measurements.measurement_coverage_cells,
        cell_reducer=measurements.baseline_and_end_cell,
    ),
    Indicator(
        "clients_scored", "Työkykypistemäärän arvioineet", "Clients with a work ability score",
        "Distinct clients with a WorkAbilityScoreRecorded dated in the period; mean_score of "
        "each client's latest score in the row.",
        ("phase", _R, _M), scores.clients_scored, scores.scored, ("mean_score",),
        zero_value=True,
        cells=scores.clients_scored_cells, cell_reducer=scores.scored_cell,
    ),
    Indicator(
        "repeat_assessments", "Päällekkäiset arvioinnit", "Repeated assessments",
        "Count of AssessmentStarted in the period preceded 0–180 days by a not cancelled "
        "assessment of the same kind for the client; share, other_org_share.",
        ("kind", "organisation", _R, _M), assessments.repeat_assessments, assessments.repeats,
        ("share", "other_org_share"), zero_value=True,
        cells=assessments.repeat_assessments_cells, cell_reducer=assessments.repeats_cell,
    ),
    Indicator(
        "pathway_transitions", "Palvelusiirtymät", "Pathway transitions",
        "Cases closed in the period paired with the client's first case opened 0–180 days "
        "after the close (to_service, or none); share of the row's other groups.",
        ("from_service", "to_service", "exit_destination", _R, _M),
        cases.pathway_transitions, cases.transitions, ("share",),
        always=("from_service", "to_service"),
        cells=cases.pathway_transitions_cells, cell_reducer=cases.transitions_cell,
    ),
    Indicator(
        "labour_market_outcome", "Työmarkkina-aseman muutos", "Labour market outcome",
        "Share in work or education at the later phase over client-and-phase pairs with a "
        "baseline status; baseline_share, work_share.",
        ("phase", _R, _M), measurements.labour_market_outcome, measurements.labour_market,
        ("baseline_share", "work_share"),
        cells=measurements.labour_market_outcome_cells,
        cell_reducer=measurements.labour_market_cell,
    ),
    Indicator(
        "unemployment_before_referral", "Työttömyyden kesto ohjattaessa (kk)",
        "Unemployment before referral (months)",
        "Median months of unemployment of ReferralMade in the period with the months given; "
        "p90, share_under_12.",
        (*_TR, _R, _M), referrals.unemployment_before_referral, referrals.unemployment,
        ("p90", "share_under_12"),
        cells=referrals.unemployment_cells, cell_reducer=referrals.unemployment_cell,
    ),
    Indicator(
        "fidelity_score", "Menetelmäuskollisuus (IPS-25)", "IPS fidelity score",
        "Total of the organisation's latest FidelityReviewRecorded in the period; reviews. "
        "n is the number of reviews; never suppressed.",
        ("organisation", _R, _M), coaching.fidelity_score, coaching.fidelity, ("reviews",),
        always=("organisation",), n_mode="records", suppress=False,
    ),
)

CATALOGUE: dict[str, Indicator] = {indicator.id: indicator for indicator in INDICATORS}
