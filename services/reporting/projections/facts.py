"""Which fact row each event type becomes: table, columns and how each value is read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

Envelope = dict[str, Any]
Extract = Callable[[dict[str, Any]], Any]

COMMON_COLUMNS = ("event_id", "occurred_at", "local_date", "recorded_at")


def _field(name: str) -> Extract:
    return lambda data: data.get(name)


def _const(value: Any) -> Extract:
    return lambda data: value


def _date(name: str) -> Extract:
    def read(data: dict[str, Any]) -> date | None:
        value = data.get(name)
        return date.fromisoformat(value) if isinstance(value, str) else value

    return read


def _decimal(name: str) -> Extract:
    def read(data: dict[str, Any]) -> Decimal | None:
        value = data.get(name)
        return None if value is None else Decimal(str(value))

    return read


def _int(name: str) -> Extract:
    def read(data: dict[str, Any]) -> int | None:
        value = data.get(name)
        return None if value is None else int(value)

    return read


@dataclass(frozen=True)
class FactSpec:
    table: str
    columns: tuple[tuple[str, Extract], ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return COMMON_COLUMNS + tuple(name for name, _ in self.columns)

    def values(self, data: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(extract(data) for _, extract in self.columns)


def _spec(table: str, *columns: str | tuple[str, Extract]) -> FactSpec:
    return FactSpec(
        table, tuple(c if isinstance(c, tuple) else (c, _field(c)) for c in columns)
    )


def _decision(kind: str) -> FactSpec:
    return _spec(
        "referral_decisions", "referral_id", "client_id", ("decision", _const(kind)),
        "case_id", "reason",
    )


def _plan(change: str) -> FactSpec:
    return _spec(
        "support_plans", "plan_id", "client_id", "case_id", ("change", _const(change)),
        ("review_on", _date("review_on")),
    )


FACTS: dict[str, FactSpec] = {
    "ClientRegistered": _spec(
        "clients", "client_id", "home_region", ("birth_year", _int("birth_year")), "sex"
    ),
    "ReferralMade": _spec(
        "referrals", "referral_id", "client_id", "referring_organisation_id",
        "referring_org_kind", "target_organisation_id", "target_service", "reasons", "triage",
        ("unemployment_months", _int("unemployment_months")),
    ),
    "ReferralAccepted": _decision("accepted"),
    "ReferralDeclined": _decision("declined"),
    "ReferralWithdrawn": _decision("withdrawn"),
    "CaseOpened": _spec(
        "cases_opened", "case_id", "client_id", "organisation_id", "service", "referral_id",
        "responsible_worker_id",
    ),
    "ResponsibilityTransferred": _spec(
        "case_transfers", "case_id", "client_id", "from_organisation_id", "from_worker_id",
        "to_organisation_id", "to_worker_id",
    ),
    "CaseClosed": _spec("cases_closed", "case_id", "client_id", "exit_destination"),
    "ClientFeedbackGiven": _spec(
        "feedback", "feedback_id", "client_id", "organisation_id", "service",
        ("score", _int("score")), "felt_heard", "helped",
    ),
    "AssessmentStarted": _spec(
        "assessments_started", "assessment_id", "client_id", "case_id", "organisation_id", "kind"
    ),
    "AssessmentCompleted": _spec(
        "assessments_completed", "assessment_id", "client_id", "conclusion",
        "benefit_recommendation",
    ),
    "AssessmentCancelled": _spec(
        "assessments_cancelled", "assessment_id", "client_id", "reason"
    ),
    "WorkAbilityScoreRecorded": _spec(
        "measurements", "measurement_id", "client_id",
        ("measure", _const("work_ability_score")), "phase", ("score", _decimal("score")),
        ("status", _const(None)),
    ),
    "SelfAssessmentRecorded": _spec(
        "measurements", "measurement_id", "client_id", ("measure", _const("self_assessment")),
        "phase", ("score", _decimal("overall")), ("status", _const(None)),
    ),
    "LabourMarketStatusRecorded": _spec(
        "measurements", "measurement_id", "client_id",
        ("measure", _const("labour_market_status")), "phase", ("score", _const(None)),
        "status",
    ),
    "HealthCheckCompleted": _spec(
        "health_checks", "health_check_id", "client_id", "organisation_id",
        "further_assessment_needed",
    ),
    "SupportPlanAgreed": _plan("agreed"),
    "SupportPlanRevised": _plan("revised"),
    "ConsultationGiven": _spec(
        "consultations", "consultation_id", "client_id", "requesting_organisation_id",
        "requesting_org_kind", "requester_role", "consultant_organisation_id",
        "consultant_role", "topic",
    ),
    "CoachingStarted": _spec(
        "engagements_started", "engagement_id", "client_id", "organisation_id", "coach_id",
        "case_id",
    ),
    "EmployerContacted": _spec(
        "employer_contacts", "engagement_id", "client_id", "employer_id", "purpose"
    ),
    "CoachingEnded": _spec("engagements_ended", "engagement_id", "client_id", "outcome"),
    "PlacementStarted": _spec(
        "placements_started", "placement_id", "engagement_id", "client_id", "employer_id",
        "kind", "wage_subsidy",
    ),
    "PlacementEnded": _spec("placements_ended", "placement_id", "client_id", "reason"),
    "FidelityReviewRecorded": _spec(
        "fidelity_reviews", "review_id", "organisation_id", ("total", _int("total"))
    ),
}

FACT_TABLES: tuple[str, ...] = tuple(dict.fromkeys(spec.table for spec in FACTS.values()))
