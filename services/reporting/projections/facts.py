"""Which fact row each event type becomes: the table, its columns, and the typed event read.

Each `FactSpec` names the event model `contracts.registry` parses its type to (the newest
version) and a `row` function that reads the columns off that typed event by attribute, so
mypy checks every field name against the contract, a renamed field fails loudly instead of
filling a column with NULLs, and tests/unit/reporting/test_fact_fields.py checks the fields
each row reads against the registry's newest models. Ids are stored as text, as the fact
tables declare them (002_facts.sql); codes (StrEnum) and dates go in as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar
from uuid import UUID

from contracts.events import assessment as a
from contracts.events import coaching as c
from contracts.events import referral as r
from contracts.events.base import Event

COMMON_COLUMNS = ("event_id", "occurred_at", "local_date", "recorded_at")

E = TypeVar("E", bound=Event)
Row = tuple[Any, ...]


@dataclass(frozen=True)
class FactSpec(Generic[E]):
    """The fact row of one event type: `row` reads the typed event into `columns`."""

    table: str
    model: type[E]
    columns: tuple[str, ...]
    row: Callable[[E], Row]

    @property
    def event_type(self) -> str:
        return self.model.event_type

    @property
    def column_names(self) -> tuple[str, ...]:
        return COMMON_COLUMNS + self.columns


# Ids as text, remembered: a client's or case's id recurs in many events, and formatting a
# UUID (uuid.UUID.__str__, pure Python) costs more than parsing it did. Bounded: emptied
# when full, it only ever holds ids already seen.
_ID_TEXTS: dict[int, str] = {}
_ID_TEXTS_MAX = 200_000


def _id(value: UUID) -> str:
    """An id as the fact tables store ids (text)."""
    text = _ID_TEXTS.get(value.int)
    if text is None:
        if len(_ID_TEXTS) >= _ID_TEXTS_MAX:
            _ID_TEXTS.clear()
        text = _ID_TEXTS[value.int] = str(value)
    return text


def _text(value: UUID | None) -> str | None:
    """An optional id as the fact tables store ids (text)."""
    return None if value is None else _id(value)


def _number(value: float | None) -> Decimal | None:
    # Through str, so 6.5 is stored as numeric 6.5, not as the float's binary expansion.
    return None if value is None else Decimal(str(value))


def _spec(table: str, model: type[E], columns: tuple[str, ...], row: Callable[[E], Row]
          ) -> FactSpec[Any]:
    """A spec whose `row` mypy checks against `model` (no type context widens E to Any)."""
    return FactSpec(table, model, columns, row)


_DECISION = ("referral_id", "client_id", "decision", "case_id", "reason")
_MEASUREMENT = ("measurement_id", "client_id", "measure", "phase", "score", "status")
_PLAN = ("plan_id", "client_id", "change", "review_on", "case_id")

_SPECS: tuple[FactSpec[Any], ...] = (
    _spec("clients", r.ClientRegistered, ("client_id", "home_region", "birth_year", "sex"),
          lambda e: (_id(e.client_id), e.home_region, e.birth_year, e.sex)),
    _spec("referrals", r.ReferralMade,
          ("referral_id", "client_id", "referring_organisation_id", "referring_org_kind",
           "target_organisation_id", "target_service", "reasons", "triage",
           "unemployment_months"),
          lambda e: (_id(e.referral_id), _id(e.client_id), e.referring_organisation_id,
                     e.referring_org_kind, e.target_organisation_id, e.target_service,
                     e.reasons, e.triage, e.unemployment_months)),
    _spec("referral_decisions", r.ReferralAccepted, _DECISION,
          lambda e: (_id(e.referral_id), _id(e.client_id), "accepted", _id(e.case_id),
                     None)),
    _spec("referral_decisions", r.ReferralDeclined, _DECISION,
          lambda e: (_id(e.referral_id), _id(e.client_id), "declined", None, e.reason)),
    _spec("referral_decisions", r.ReferralWithdrawn, _DECISION,
          lambda e: (_id(e.referral_id), _id(e.client_id), "withdrawn", None, None)),
    _spec("cases_opened", r.CaseOpened,
          ("case_id", "client_id", "organisation_id", "service", "referral_id",
           "responsible_worker_id"),
          lambda e: (_id(e.case_id), _id(e.client_id), e.organisation_id, e.service,
                     _text(e.referral_id), _id(e.responsible_worker_id))),
    _spec("case_transfers", r.ResponsibilityTransferred,
          ("case_id", "client_id", "from_organisation_id", "from_worker_id",
           "to_organisation_id", "to_worker_id"),
          lambda e: (_id(e.case_id), _id(e.client_id), e.from_organisation_id,
                     _id(e.from_worker_id), e.to_organisation_id, _id(e.to_worker_id))),
    _spec("cases_closed", r.CaseClosed, ("case_id", "client_id", "exit_destination"),
          lambda e: (_id(e.case_id), _id(e.client_id), e.exit_destination)),
    _spec("feedback", r.ClientFeedbackGiven,
          ("feedback_id", "client_id", "organisation_id", "service", "score", "felt_heard",
           "helped"),
          lambda e: (_id(e.feedback_id), _text(e.client_id), e.organisation_id, e.service,
                     e.score, e.felt_heard, e.helped)),
    _spec("assessments_started", a.AssessmentStarted,
          ("assessment_id", "client_id", "case_id", "organisation_id", "kind"),
          lambda e: (_id(e.assessment_id), _id(e.client_id), _text(e.case_id),
                     e.organisation_id, e.kind)),
    _spec("assessments_completed", a.AssessmentCompleted,
          ("assessment_id", "client_id", "conclusion", "benefit_recommendation"),
          lambda e: (_id(e.assessment_id), _id(e.client_id), e.conclusion,
                     e.benefit_recommendation)),
    _spec("assessments_cancelled", a.AssessmentCancelled,
          ("assessment_id", "client_id", "reason"),
          lambda e: (_id(e.assessment_id), _id(e.client_id), e.reason)),
    _spec("measurements", a.WorkAbilityScoreRecorded, _MEASUREMENT,
          lambda e: (_id(e.measurement_id), _id(e.client_id), "work_ability_score",
                     e.phase, Decimal(e.score), None)),
    _spec("measurements", a.SelfAssessmentRecorded, _MEASUREMENT,
          lambda e: (_id(e.measurement_id), _id(e.client_id), "self_assessment", e.phase,
                     _number(e.overall), None)),
    _spec("measurements", a.LabourMarketStatusRecorded, _MEASUREMENT,
          lambda e: (_id(e.measurement_id), _id(e.client_id), "labour_market_status",
                     e.phase, None, e.status)),
    _spec("health_checks", a.HealthCheckCompleted,
          ("health_check_id", "client_id", "organisation_id", "further_assessment_needed"),
          lambda e: (_id(e.health_check_id), _id(e.client_id), e.organisation_id,
                     e.further_assessment_needed)),
    _spec("support_plans", a.SupportPlanAgreed, _PLAN,
          lambda e: (_id(e.plan_id), _id(e.client_id), "agreed", e.review_on,
                     _id(e.case_id))),
    _spec("support_plans", a.SupportPlanRevised, _PLAN,
          lambda e: (_id(e.plan_id), _id(e.client_id), "revised", e.review_on, None)),
    _spec("consultations", a.ConsultationGiven,
          ("consultation_id", "client_id", "requesting_organisation_id",
           "requesting_org_kind", "requester_role", "consultant_organisation_id",
           "consultant_role", "topic"),
          lambda e: (_id(e.consultation_id), _text(e.client_id),
                     e.requesting_organisation_id, e.requesting_org_kind,
                     e.requester_role, e.consultant_organisation_id, e.consultant_role,
                     e.topic)),
    _spec("engagements_started", c.CoachingStarted,
          ("engagement_id", "client_id", "organisation_id", "coach_id", "case_id"),
          lambda e: (_id(e.engagement_id), _id(e.client_id), e.organisation_id,
                     _id(e.coach_id), _text(e.case_id))),
    _spec("employer_contacts", c.EmployerContacted,
          ("engagement_id", "client_id", "employer_id", "purpose"),
          lambda e: (_id(e.engagement_id), _id(e.client_id), e.employer_id, e.purpose)),
    _spec("engagements_ended", c.CoachingEnded, ("engagement_id", "client_id", "outcome"),
          lambda e: (_id(e.engagement_id), _id(e.client_id), e.outcome)),
    _spec("placements_started", c.PlacementStarted,
          ("placement_id", "engagement_id", "client_id", "employer_id", "kind",
           "wage_subsidy"),
          lambda e: (_id(e.placement_id), _text(e.engagement_id), _id(e.client_id),
                     e.employer_id, e.kind, e.wage_subsidy)),
    _spec("placements_ended", c.PlacementEnded, ("placement_id", "client_id", "reason"),
          lambda e: (_id(e.placement_id), _id(e.client_id), e.reason)),
    _spec("fidelity_reviews", c.FidelityReviewRecorded,
          ("review_id", "organisation_id", "total"),
          lambda e: (_id(e.review_id), e.organisation_id, e.total)),
)

FACTS: dict[str, FactSpec[Any]] = {spec.event_type: spec for spec in _SPECS}


def _columns_by_table(specs: tuple[FactSpec[Any], ...]) -> dict[str, tuple[str, ...]]:
    """Each table's columns; every spec of a table fills them in one order (one COPY)."""
    columns: dict[str, tuple[str, ...]] = {}
    for spec in specs:
        if columns.setdefault(spec.table, spec.column_names) != spec.column_names:
            raise ValueError(f"facts.{spec.table}: {spec.event_type} lists its columns in "
                             "another order than the table's other events")
    return columns


FACT_COLUMNS: dict[str, tuple[str, ...]] = _columns_by_table(_SPECS)
FACT_TABLES: tuple[str, ...] = tuple(FACT_COLUMNS)

# The order a rebuild leaves each table's rows in (CLUSTER on the index of these columns):
# a period's rows together on few pages, as the indicators read them (measurements by
# measure first: an indicator reads one or two measures). Rows are written in recorded
# order, but stamps (stamps.py) update them afterwards, and an updated row moves to any page
# with room, so without this a year's rows lie on every page of the table. Tables left out
# have no such index; their rows are never updated and stay in recorded order.
TIME_ORDER: dict[str, tuple[str, ...]] = {
    table: ("measure", "local_date") if table == "measurements" else ("local_date",)
    for table in ("referrals", "referral_decisions", "cases_opened", "cases_closed",
                  "case_transfers", "assessments_started", "assessments_completed",
                  "consultations", "health_checks", "engagements_started", "engagements_ended",
                  "placements_started", "feedback", "fidelity_reviews", "measurements")
}


def ids_of(rows: dict[str, list[Row]], table: str, key: str) -> set[str]:
    """The distinct values of column `key` (an id) in the fact rows of `table` of a batch."""
    at = FACT_COLUMNS[table].index(key)
    return {r[at] for r in rows.get(table, ()) if r[at] is not None}
