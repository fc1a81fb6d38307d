"""HTTP routes of the exports: every indicator as one long table (GET /indicators/export) and
the research codebook (GET /research/codebook).

This router is mounted before the indicator routes, so `/indicators/export` is never read as
an indicator id. Who may read: as the indicator routes (any signed-in professional of an
organisation that may act; an `integration` token for a scheduled BI refresh) — the exports
are the same published figures.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from contracts.bounded import BoundedDate, BoundedDateTime
from contracts.codes import Language
from services.reporting.admission import kind_of, query_slots
from services.reporting.exports.codebook import codebook
from services.reporting.exports.http import (
    FileFormatQuery,
    LangQuery,
    file_response,
    filename,
)
from services.reporting.exports.indicators import (
    every_indicator,
    export_definitions_sheet,
    long_table,
)
from services.reporting.indicators import (
    INDICATORS,
    RegistryOrgLookup,
    configured_disclosure,
)
from services.reporting.indicators.query import requested_period
from services.reporting.schemas import EXPORT_FORMATS, Codebook, answers
from services.runtime.errors import ValidationFailed
from services.runtime.service import Auth, Ctx

router = APIRouter(tags=["reporting"])

GROUP_KEYS: tuple[str, ...] = tuple(dict.fromkeys(k for i in INDICATORS for k in i.group_by))


def _one_group_key(group_by: str | None) -> str | None:
    key = (group_by or "").strip()
    if not key:
        return None
    if key not in GROUP_KEYS:
        raise ValidationFailed(
            "group_by", f"one key that some indicator accepts: {', '.join(GROUP_KEYS)}")
    return key


@router.get(
    "/indicators/export",
    summary="Every indicator as one long table (CSV, CSV for Excel or XLSX)",
    description="Every indicator of the catalogue for `from`, `to` and `as_of`, with one "
    "`group_by` key applied where the indicator accepts it (the others ungrouped), as one "
    "table: indicator, group keys, n, value, suppressed, each extra; a `<key>_label` column "
    "in `lang` after each code column. A stable source for a scheduled BI refresh.",
    response_class=Response, responses=answers(None, EXPORT_FORMATS),
)
async def export_indicators(
    ctx: Ctx,
    principal: Auth,
    date_from: Annotated[BoundedDate | None, Query(alias="from", description="YYYY-MM-DD")] = None,
    date_to: Annotated[BoundedDate | None, Query(alias="to", description="YYYY-MM-DD")] = None,
    group_by: Annotated[str | None, Query(
        description="one group key, applied to every indicator that accepts it")] = None,
    as_of: Annotated[BoundedDateTime | None, Query(
        description="RFC 3339 recorded time the answer is as of; default now")] = None,
    lang: LangQuery = Language.FI,
    format: FileFormatQuery = "csv",
) -> Response:
    moment = as_of or datetime.now(UTC)
    start, end = requested_period(date_from, date_to)
    key = _one_group_key(group_by)
    kind = kind_of("export", [key] if key else [], start, end)
    async with query_slots(ctx).connection(ctx.pool, kind) as conn:
        every = await every_indicator(
            conn, date_from=start, date_to=end, as_of=moment, group_by=key,
            threshold=ctx.settings.polku_suppression_threshold,
            orgs=RegistryOrgLookup(ctx.organisations),
            disclosure=configured_disclosure(ctx.settings),
        )
    table = long_table(every, lang, ctx.organisations)
    sheets = [export_definitions_sheet(every, table, lang, key)] if format == "xlsx" else []
    name = filename("indicators", key, start, end, lang, format=format)
    return file_response(table, format, name, lang=lang, sheets=sheets)


@router.get(
    "/research/codebook", summary="The research extract's codebook",
    description="Each variable of GET /research/extract: name, meaning, code list with "
    "labels in `lang`; and the pseudonymisation and consent rules.",
    response_model=None, responses=answers(Codebook),
)
async def research_codebook(principal: Auth, lang: LangQuery = Language.FI) -> dict[str, Any]:
    return codebook(lang)
