"""The reporting API's response models: what the routes return, typed for the OpenAPI document.

The routes build their answers as plain dicts (the indicator engine, lists, timeline); these
models only document them (`responses=` on the route, never `response_model`, so no answer is
re-serialised) and a test validates real answers against them. The media types a route can
answer in besides JSON are listed once here: adding a format is one line.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The representations besides JSON that tabular answers can be served in: media type → its
# OpenAPI media type object (`format=csv` and `format=csv-excel` are both text/csv).
MEDIA: dict[str, dict[str, Any]] = {
    CSV: {"schema": {"type": "string",
                     "description": "CSV (RFC 4180): a header row, then one line per row; "
                     "format=csv-excel: semicolons, decimal commas, UTF-8 with BOM, CRLF"}},
    XLSX: {"schema": {"type": "string", "format": "binary",
                      "description": "an Excel workbook (Office Open XML)"}},
}
# What the indicator, list and dashboard-data routes serve besides JSON: serving a new
# media type (format=xlsx) is adding it here.
TABLE_FORMATS: tuple[str, ...] = (CSV,)
# What the indicator, list and research routes serve besides JSON (format=csv, csv-excel,
# xlsx; services/reporting/exports) and the files GET /indicators/export serves.
EXPORT_FORMATS: tuple[str, ...] = (CSV, XLSX)

Id = UUID
Code = str | None


class Answer(BaseModel):
    """Every documented answer: exactly these fields, nothing else."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class IndicatorRow(Answer):
    """One row: its group values (the always-grouped keys, then those asked for in
    `group_by`), `n`, `value`, `suppressed`, then the indicator's extras. A suppressed row
    (0 < n < threshold) has n, value and every extra null."""

    # Group keys (GET /indicators: `group_by` and `always_group_by` of each indicator).
    referring_org_kind: Code = None
    target_service: Code = None
    target_organisation: Code = None
    reason: Code = None
    triage: Code = None
    region: Code = Field(None, description="region code; null when the client is not registered")
    month: str | None = Field(None, description="YYYY-MM", pattern=r"^\d{4}-\d{2}$")
    exit_destination: Code = None
    service: Code = None
    organisation: Code = None
    kind: Code = None
    conclusion: Code = None
    benefit_recommendation: Code = None
    phase: Code = None
    wage_subsidy: bool | None = None
    from_org_kind: Code = None
    to_org_kind: Code = None
    requesting_org_kind: Code = None
    consultant_role: Code = None
    topic: Code = None
    from_service: Code = None
    to_service: Code = None
    # Every row.
    n: int | None = Field(description="clients (or records) counted; null when suppressed")
    value: float | None = Field(description="the indicator's value (INDICATORS.md)")
    suppressed: bool
    # Extras (GET /indicators: `extras` of each indicator).
    p90: float | None = None
    mean: float | None = None
    share: float | None = None
    improved_share: float | None = None
    worsened_share: float | None = None
    any_placement_share: float | None = None
    share_within_30: float | None = None
    mean_score: float | None = None
    helped_share: float | None = None
    felt_heard_share: float | None = None
    cases_opened: int | None = None
    cases_closed: int | None = None
    max: float | None = None
    workers: int | None = None
    median_wait_days: float | None = None
    max_wait_days: float | None = None
    baseline_share: float | None = None
    end_share: float | None = None
    other_org_share: float | None = None
    work_share: float | None = None
    share_under_12: float | None = None
    reviews: int | None = None


class DisclosureControl(Answer):
    """How the published figures of this answer were protected (INDICATORS.md)."""

    suppression_threshold: int | None = Field(
        description="rows with 0 < n below it are suppressed; null: never suppressed")
    perturbation: Literal["none", "cell-key"]
    max_noise: int = Field(ge=0, description="the largest noise added to a count")


class IndicatorResult(Answer):
    """GET /indicators/{indicator_id} as JSON."""

    indicator: str
    date_from: date = Field(alias="from")
    date_to: date = Field(alias="to")
    as_of: datetime = Field(description="the recorded time the answer is as of")
    disclosure_control: DisclosureControl
    rows: list[IndicatorRow]


class IndicatorDescription(Answer):
    id: str
    name_fi: str
    name_en: str
    definition: str
    group_by: list[str] = Field(description="keys `group_by` accepts")
    always_group_by: list[str] = Field(description="keys every row is grouped by")
    extras: list[str] = Field(description="columns each row has after `value`")


class Catalogue(Answer):
    """GET /indicators: the catalogue of INDICATORS.md."""

    indicators: list[IndicatorDescription]


class FollowUpOverdue(Answer):
    case_id: Id
    client_id: Id | None
    service: Code
    closed_on: date
    due_on: date
    days_overdue: int


class SupportPlanDue(Answer):
    plan_id: Id
    case_id: Id | None
    client_id: Id | None
    review_on: date
    days_overdue: int


class ReferralWaiting(Answer):
    referral_id: Id
    client_id: Id | None
    target_service: Code
    referred_on: date
    days_waiting: int


class CaseWithoutBaseline(Answer):
    case_id: Id
    client_id: Id | None
    service: Code
    opened_on: date
    days_open: int


class OperationalList(Answer):
    """An operational list of the caller's organisation on `date` (Finnish local date)."""

    organisation: str
    on: date = Field(alias="date", description="the day the list is of")
    as_of: datetime


class FollowUpsOverdue(OperationalList):
    rows: list[FollowUpOverdue]


class SupportPlansDueForReview(OperationalList):
    rows: list[SupportPlanDue]


class ReferralsWaiting(OperationalList):
    rows: list[ReferralWaiting]


class CasesWithoutBaseline(OperationalList):
    rows: list[CaseWithoutBaseline]


# path of the list route → its JSON answer.
LIST_MODELS: dict[str, type[OperationalList]] = {
    "/follow-ups/overdue": FollowUpsOverdue,
    "/support-plans/due-for-review": SupportPlansDueForReview,
    "/referrals/waiting": ReferralsWaiting,
    "/cases/without-baseline": CasesWithoutBaseline,
}


class TimelineEvent(Answer):
    event_id: Id
    occurred_at: datetime = Field(description="business time (the event's, else recorded)")
    recorded_at: datetime
    source: str | None
    type: str = Field(description="event type (EVENTS.md; the AsyncAPI message of its "
                      "service describes its data)")
    subject: str | None
    actor_organisation: str | None
    actor_role: str | None
    data: dict[str, Any] = Field(
        description="the event's data without the person's attributes (birth_year, sex)")


class Timeline(Answer):
    """GET /clients/{client_id}/timeline."""

    client_id: Id
    events: list[TimelineEvent]


class ResearchRow(Answer):
    """One consenting client of the research extract (GET /research/codebook explains each
    variable)."""

    research_id: str = Field(description="the research pseudonym, never the client_id")
    age_band: str | None
    region: Code
    first_referral_on: date | None
    first_case_opened_on: date | None
    first_assessment_on: date | None
    first_plan_on: date | None
    coaching_started_on: date | None
    first_placement_on: date | None
    first_placement_kind: Code
    last_case_closed_on: date | None
    last_exit_destination: Code
    baseline_work_ability_score: int | None
    latest_work_ability_score: int | None
    baseline_labour_market_status: Code
    latest_labour_market_status: Code


class ResearchExtract(Answer):
    """GET /research/extract?format=json."""

    on: date = Field(alias="date", description="the extract date (consents active on it)")
    as_of: datetime
    rows: list[ResearchRow]


class CodebookCode(Answer):
    code: str
    label: str


class CodebookVariable(Answer):
    name: str = Field(description="the column of the extract")
    label: str
    meaning: str
    code_list: str | None = Field(description="the code list its values come from")
    codes: list[CodebookCode]


class Codebook(Answer):
    """GET /research/codebook: the research extract's variables, in `language`."""

    language: str
    variables: list[CodebookVariable]
    pseudonymisation: str
    consent: str


def answers(
    model: type[BaseModel] | None, formats: Sequence[str] = (), description: str = "",
) -> dict[int | str, dict[str, Any]]:
    """`responses=` of a route: its 200 as `model` in JSON (when given) and in each of
    `formats` (media types of MEDIA). Only documents: the route's answer is unchanged."""
    content = {media: MEDIA[media] for media in formats}
    ok: dict[str, Any] = {"content": content}
    if model is not None:
        ok["model"] = model
    if description:
        ok["description"] = description
    return {200: ok}
