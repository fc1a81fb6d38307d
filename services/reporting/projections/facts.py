"""Which fact row each event type becomes: table, columns and how each value is read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

Envelope = dict[str, Any]
Extract = Callable[[dict[str, Any]], Any]

COMMON_COLUMNS = ("event_id", "occurred_at", "local_date", "recorded_at")


class _Extract:
    """Read one column's value from an event's data: `key`'s value (None when absent),
    passed through `convert` unless it is None; or a constant (`key` None)."""

    __slots__ = ("constant", "convert", "key")

    def __init__(self, key: str | None, convert: Callable[[Any], Any] | None = None,
                 constant: Any = None) -> None:
        self.key, self.convert, self.constant = key, convert, constant

    def __call__(self, data: dict[str, Any]) -> Any:
        if self.key is None:
            return self.constant
        value = data.get(self.key)
        return value if value is None or self.convert is None else self.convert(value)


def _field(name: str) -> Extract:
    return _Extract(name)


def _const(value: Any) -> Extract:
    return _Extract(None, constant=value)


def _to_date(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _date(name: str) -> Extract:
    return _Extract(name, _to_date)


def _decimal(name: str) -> Extract:
    return _Extract(name, lambda value: Decimal(str(value)))


def _int(name: str) -> Extract:
    return _Extract(name, int)


# A key no event's data has: constant columns read None here and are then overwritten.
_ABSENT = "\x00constant"


@dataclass(frozen=True)
class FactSpec:
    table: str
    columns: tuple[tuple[str, Extract], ...]
    # Compiled from `columns` for the hot loop of projection and rebuild: one C-level map
    # over the data keys, then only the columns that need a conversion or are constant.
    _keys: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _converts: tuple[tuple[int, Callable[[Any], Any]], ...] = field(
        init=False, repr=False, compare=False)
    _constants: tuple[tuple[int, Any], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        keys: list[str] = []
        converts: list[tuple[int, Callable[[Any], Any]]] = []
        constants: list[tuple[int, Any]] = []
        for i, (_, extract) in enumerate(self.columns):
            if not isinstance(extract, _Extract):
                raise TypeError(f"{self.table}: read columns with _field, _const, _date, "
                                "_decimal or _int")
            if extract.key is None:
                keys.append(_ABSENT)
                constants.append((i, extract.constant))
            else:
                keys.append(extract.key)
                if extract.convert is not None:
                    converts.append((i, extract.convert))
        object.__setattr__(self, "_keys", tuple(keys))
        object.__setattr__(self, "_converts", tuple(converts))
        object.__setattr__(self, "_constants", tuple(constants))

    @property
    def column_names(self) -> tuple[str, ...]:
        return COMMON_COLUMNS + tuple(name for name, _ in self.columns)

    def values(self, data: dict[str, Any]) -> tuple[Any, ...]:
        if not self._converts and not self._constants:
            return tuple(map(data.get, self._keys))
        values = list(map(data.get, self._keys))
        for i, convert in self._converts:
            if values[i] is not None:
                values[i] = convert(values[i])
        for i, constant in self._constants:
            values[i] = constant
        return tuple(values)


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
