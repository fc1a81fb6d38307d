"""HTTP adapter of reporting: indicators, operational lists, timeline and research extract."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from contracts.bounded import BoundedDate, BoundedDateTime
from contracts.codes import Language, Role
from services.reporting import lists, research
from services.reporting.access import require_role
from services.reporting.admission import kind_of, query_slots
from services.reporting.exports.codebook import codebook_sheet
from services.reporting.exports.http import (
    Format,
    FormatQuery,
    LangQuery,
    file_response,
    filename,
)
from services.reporting.exports.indicators import answer, definitions_sheet, indicator_table
from services.reporting.exports.lists import list_sheet
from services.reporting.exports.table import labelled
from services.reporting.indicators import (
    INDICATORS,
    RegistryOrgLookup,
    UnknownGroupBy,
    UnknownIndicator,
    compute,
    configured_disclosure,
)
from services.reporting.indicators.query import requested_period
from services.reporting.projections import local_date
from services.reporting.schemas import (
    EXPORT_FORMATS,
    LIST_MODELS,
    Catalogue,
    IndicatorResult,
    ResearchExtract,
    Timeline,
    answers,
)
from services.reporting.timeline import read_timeline
from services.runtime.access import windows_of
from services.runtime.errors import NotFound, ValidationFailed
from services.runtime.service import Auth, Ctx, Reader

router = APIRouter(tags=["reporting"])

AsOfQuery = Annotated[
    BoundedDateTime | None,
    Query(description="RFC 3339 recorded time the answer is as of; default now"),
]


def _group_keys(group_by: str | None) -> list[str]:
    return [key.strip() for key in (group_by or "").split(",") if key.strip()]


@router.get("/indicators", summary="The indicator catalogue (INDICATORS.md)",
            response_model=None, responses=answers(Catalogue))
async def catalogue(principal: Auth) -> dict[str, Any]:
    return {"indicators": [indicator.describe() for indicator in INDICATORS]}


@router.get("/indicators/{indicator_id}", summary="One indicator's rows",
            responses=answers(IndicatorResult, EXPORT_FORMATS))
async def indicator_rows(
    indicator_id: str,
    ctx: Ctx,
    principal: Auth,
    date_from: Annotated[BoundedDate | None, Query(alias="from", description="YYYY-MM-DD")] = None,
    date_to: Annotated[BoundedDate | None, Query(alias="to", description="YYYY-MM-DD")] = None,
    group_by: Annotated[str | None, Query(description="comma list of group keys")] = None,
    as_of: AsOfQuery = None,
    format: FormatQuery = "json",
    lang: LangQuery = Language.FI,
) -> Response:
    moment = as_of or datetime.now(UTC)
    start, end = requested_period(date_from, date_to)
    try:
        keys = _group_keys(group_by)
        kind = kind_of(f"indicator {indicator_id}", keys, start, end)
        async with query_slots(ctx).connection(ctx.pool, kind) as conn:
            result = await compute(
                conn, indicator_id, date_from=start, date_to=end,
                group_by=keys, as_of=moment,
                threshold=ctx.settings.polku_suppression_threshold,
                orgs=RegistryOrgLookup(ctx.organisations),
                disclosure=configured_disclosure(ctx.settings),
            )
    except UnknownIndicator:
        raise NotFound(
            f"unknown indicator {indicator_id!r}; GET /indicators lists them"
        ) from None
    except UnknownGroupBy as error:
        raise ValidationFailed(
            "group_by", f"unknown key {', '.join(error.unknown)}; {error.indicator} accepts: "
            f"{', '.join(error.allowed)}",
        ) from None
    if format == "json":
        return JSONResponse(result)
    # Every file format shows the JSON answer's published rows, labelled in `lang`.
    one = answer(result, _group_keys(group_by))
    table = indicator_table(one, lang, ctx.organisations)
    sheets = [definitions_sheet(one, table, lang)] if format == "xlsx" else []
    name = filename(indicator_id, *one.keys, start, end, lang, format=format)
    return file_response(table, format, name, lang=lang, sheets=sheets)


ListQuery = Callable[[asyncpg.Connection, str, date, datetime], Awaitable[list[dict[str, Any]]]]

# path → (query, CSV columns, summary)
OPERATIONAL_LISTS: dict[str, tuple[ListQuery, tuple[str, ...], str]] = {
    "/follow-ups/overdue": (
        lists.follow_ups_overdue,
        ("case_id", "client_id", "service", "closed_on", "due_on", "days_overdue"),
        "Closed cases whose follow-up measurement is due and missing",
    ),
    "/support-plans/due-for-review": (
        lists.support_plans_due_for_review,
        ("plan_id", "case_id", "client_id", "review_on", "days_overdue"),
        "Support plans whose review date has passed without a revision",
    ),
    "/referrals/waiting": (
        lists.referrals_waiting,
        ("referral_id", "client_id", "target_service", "referred_on", "days_waiting"),
        "Referrals to the caller organisation not yet decided",
    ),
    "/cases/without-baseline": (
        lists.cases_without_baseline,
        ("case_id", "client_id", "service", "opened_on", "days_open"),
        "Open cases older than 30 days without a baseline measurement",
    ),
}


def _list_route(path: str, query: ListQuery, columns: tuple[str, ...], summary: str) -> None:
    name = path.strip("/").replace("/", "_").replace("-", "_")

    async def operational_list(
        ctx: Ctx, principal: Auth, as_of: AsOfQuery = None, format: FormatQuery = "json",
        lang: LangQuery = Language.FI,
    ) -> Response:
        moment = as_of or datetime.now(UTC)
        today = local_date(moment)
        async with ctx.pool.acquire() as conn:
            rows = await query(conn, principal.org, today, moment)
        if format != "json":
            table = labelled(columns, rows, lang, organisations=ctx.organisations)
            sheets = [list_sheet(name, table, lang, organisation=principal.org, on=today,
                                 as_of=moment.isoformat(), organisations=ctx.organisations)
                      ] if format == "xlsx" else []
            return file_response(table, format, filename(name, principal.org, today, lang,
                                                         format=format),
                                 lang=lang, sheets=sheets)
        return JSONResponse({"organisation": principal.org, "date": today.isoformat(),
                             "as_of": moment.isoformat(), "rows": rows})

    router.add_api_route(path, operational_list, methods=["GET"], summary=summary,
                         name=name, tags=["operational lists"],
                         responses=answers(LIST_MODELS[path], EXPORT_FORMATS))


for _path, (_query, _columns, _summary) in OPERATIONAL_LISTS.items():
    _list_route(_path, _query, _columns, _summary)


@router.get("/clients/{client_id}/timeline", summary="Every event about a client",
            response_model=None, responses=answers(Timeline))
async def timeline(client_id: UUID, ctx: Ctx, principal: Reader) -> dict[str, Any]:
    today = local_date(datetime.now(UTC))
    async with ctx.pool.acquire() as conn:
        events = await read_timeline(conn, principal, ctx.organisations, client_id, today,
                                     windows_of(ctx.settings))
    return {"client_id": str(client_id), "events": events}


@router.get("/research/extract", summary="Pseudonymous research extract",
            description="One row per client with an active research consent (GET "
            "/research/codebook explains each variable); CSV by default.",
            response_class=Response, responses=answers(ResearchExtract, EXPORT_FORMATS))
async def research_extract(
    ctx: Ctx, principal: Auth,
    format: Annotated[Format, Query(
        description="csv (default), csv-excel, xlsx (with the codebook sheet) or json")] = "csv",
    lang: LangQuery = Language.FI,
) -> Response:
    require_role(principal, ctx.organisations, Role.RESEARCHER)
    now = datetime.now(UTC)
    today = local_date(now)
    async with ctx.pool.acquire() as conn:
        rows = await research.extract(
            conn, key=ctx.settings.polku_research_key, today=today, as_of=now
        )
    if format == "json":
        return JSONResponse({"date": today.isoformat(), "as_of": now.isoformat(),
                             "rows": [_json_row(row) for row in rows]})
    table = labelled(research.COLUMNS, rows, lang)
    sheets = [codebook_sheet(lang, today, now.isoformat())] if format == "xlsx" else []
    return file_response(table, format, filename("research", today, lang, format=format),
                         lang=lang, sheets=sheets)


def _json_row(row: dict[str, Any]) -> dict[str, Any]:
    """Dates as YYYY-MM-DD, whole numbers (numeric scores) as integers."""
    def cell(value: Any) -> Any:
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        return value

    return {key: cell(value) for key, value in row.items()}
