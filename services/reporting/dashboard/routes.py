"""HTTP adapter of the dashboard: the page, its same-origin data endpoint and static files.

The page is served like the API docs, without a token, and offers a sign-in; its script asks
`/dashboard/data` with the bearer token it keeps in session storage (or the one a sign-in
proxy in front of it adds), like every other route. The data is computed server-side with the
service's suppression threshold, so the browser never sees a cell the API would not show.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from html import escape
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from contracts.bounded import BoundedDate, BoundedDateTime
from contracts.codes import Language
from services.reporting.admission import query_slots
from services.reporting.dashboard.charts import CHARTS, Chart, catalogue_entry, parse_targets
from services.reporting.dashboard.data import ChartQuery, chart_data
from services.reporting.dashboard.labels import CHART_TITLES, DEFINITIONS_FI, page_labels
from services.reporting.dashboard.own_org import served_lists
from services.reporting.exports.http import LangQuery, file_response, filename
from services.reporting.exports.indicators import answer, definitions_sheet, indicator_table
from services.reporting.indicators import (
    CATALOGUE,
    INDICATORS,
    RegistryOrgLookup,
    configured_disclosure,
)
from services.reporting.projections import local_date
from services.reporting.schemas import EXPORT_FORMATS, answers
from services.runtime.errors import NotFound, ValidationFailed
from services.runtime.service import Auth, Ctx

HERE = Path(str(files("services.reporting.dashboard")))
# The page's scripts, in the order it loads them (each a classic script adding to
# `window.polku`; dashboard.js wires them together last).
SCRIPTS = ("chart.umd.min.js", "signin.js", "i18n.js", "charts.js", "controls.js",
           "own-org.js", "dashboard.js")
STATIC = {**dict.fromkeys(SCRIPTS, "text/javascript"), "dashboard.css": "text/css"}
# Everything the page loads is same-origin: the dashboard works without outside network.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'")

router = APIRouter(tags=["dashboard"])


def last_full_year(today: date) -> tuple[date, date]:
    return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)


@router.get("/dashboard", response_class=HTMLResponse, summary="Indicator dashboard (web page)")
async def dashboard(ctx: Ctx, request: Request) -> HTMLResponse:
    today = local_date(datetime.now(UTC))
    date_from, date_to = last_full_year(today)
    targets = parse_targets(ctx.settings.polku_dashboard_targets)
    config = {
        "charts": [chart.describe(targets) for chart in CHARTS],
        "catalogue": [catalogue_entry(spec.id, targets) for spec in INDICATORS],
        "own_lists": served_lists(request.app.openapi().get("paths", {})),
        "labels": page_labels(ctx.organisations),
        "threshold": ctx.settings.polku_suppression_threshold,
        "today": today.isoformat(),
        "default_period": {"from": date_from.isoformat(), "to": date_to.isoformat()},
    }
    # "<" escaped so no value can close the script element the config sits in.
    embedded = json.dumps(config, ensure_ascii=False).replace("<", "\\u003c")
    page = (HERE / "page.html").read_text(encoding="utf-8")
    page = page.replace("{{SECTIONS}}", "\n".join(chart_section(c) for c in CHARTS))
    page = page.replace("{{TEMPLATE}}", section_html("__new__", "", ""))
    page = page.replace("{{SCRIPTS}}", "\n".join(
        f'  <script src="/dashboard/static/{name}" defer></script>' for name in SCRIPTS))
    return HTMLResponse(page.replace("{{CONFIG}}", embedded),
                        headers={"Content-Security-Policy": CSP})


def chart_section(chart: Chart) -> str:
    """A chart's container with its Finnish title and definition; the script fills the rest."""
    spec = CATALOGUE[chart.indicator]
    title = CHART_TITLES.get(chart.id, {}).get("fi", spec.name_fi)
    return section_html(chart.id, title, DEFINITIONS_FI.get(chart.indicator, spec.definition))


def section_html(chart_id: str, title: str, definition: str) -> str:
    """One chart's section: title, definition, n, the chart with its table alternative and
    its downloads (the script clones the `__new__` one for charts added from the catalogue)."""
    cid = escape(chart_id)
    return f"""<section class="chart" id="chart-{cid}" data-chart="{cid}" data-state="loading"
  aria-labelledby="title-{cid}">
  <h2 id="title-{cid}">{escape(title)}</h2>
  <p class="definition"><strong class="def-label">Määritelmä:</strong>
    <span class="def-text">{escape(definition)}</span></p>
  <p class="meta"><span class="n"></span><span class="target"></span></p>
  <p class="note org-na" hidden></p>
  <div class="canvas-box"><canvas id="canvas-{cid}" role="img"></canvas></div>
  <p class="status" role="status"></p>
  <p class="suppressed-legend" hidden><span class="hatch" aria-hidden="true"></span>
    <span class="text"></span></p>
  <details><summary>Näytä taulukkona</summary><div class="table-box"></div></details>
  <p class="downloads"><button type="button" class="csv" disabled></button>
    <button type="button" class="xlsx" disabled></button>
    <button type="button" class="remove" hidden></button></p>
</section>"""


def _group_by(indicator: str, text: str | None) -> tuple[str, ...]:
    keys = tuple(k.strip() for k in (text or "").split(",") if k.strip())
    allowed = CATALOGUE[indicator].group_by
    unknown = [k for k in keys if k not in allowed]
    if unknown:
        raise ValidationFailed(
            "group_by", f"{indicator} cannot be grouped by {', '.join(unknown)}; "
            f"allowed: {', '.join(allowed)}")
    return keys


@router.get("/dashboard/data",
            summary="Rows of one dashboard chart (JSON, CSV, CSV for Excel or XLSX)",
            responses={**answers(None, EXPORT_FORMATS),
                       404: {"description": "unknown indicator"}})
async def dashboard_data(
    ctx: Ctx,
    principal: Auth,
    indicator: str,
    date_from: Annotated[BoundedDate | None, Query(alias="from")] = None,
    date_to: Annotated[BoundedDate | None, Query(alias="to")] = None,
    group_by: str | None = None,
    region: str | None = None,
    organisation: str | None = None,
    as_of: BoundedDateTime | None = None,
    format: Literal["json", "csv", "csv-excel", "xlsx"] = "json",
    lang: LangQuery = Language.FI,
) -> Response:
    if indicator not in CATALOGUE:
        raise NotFound(f"unknown indicator {indicator}")
    default_from, default_to = last_full_year(local_date(datetime.now(UTC)))
    date_from, date_to = date_from or default_from, date_to or default_to
    if date_from > date_to:
        raise ValidationFailed("from", "must be on or before to")
    if region is not None and region not in {o.region for o in ctx.organisations}:
        raise ValidationFailed("region", "unknown region")
    if organisation is not None and organisation not in ctx.organisations:
        raise ValidationFailed("organisation", "unknown organisation")
    query = ChartQuery(
        indicator, date_from, date_to, _group_by(indicator, group_by),
        as_of or datetime.now(UTC), region or None, organisation or None,
    )
    async with query_slots(ctx).connection(ctx.pool, query.kind) as conn:
        data = await chart_data(conn, query, threshold=ctx.settings.polku_suppression_threshold,
                                orgs=RegistryOrgLookup(ctx.organisations),
                                disclosure=configured_disclosure(ctx.settings))
    if format == "json":
        return JSONResponse(data)
    # Every file: the exports' labelled table of the chart's rows, in `lang` (as
    # `GET /indicators/{id}` serves them: a `<key>_label` column after each code column).
    one = answer(data, data["group_by"])
    table = indicator_table(one, lang, ctx.organisations)
    sheets = [definitions_sheet(one, table, lang)] if format == "xlsx" else []
    name = filename(indicator, *query.filters.values(), data["from"], data["to"], lang,
                    format=format)
    return file_response(table, format, name, lang=lang, sheets=sheets)


@router.get("/dashboard/static/{name}", include_in_schema=False)
async def dashboard_static(name: str) -> FileResponse:
    if name not in STATIC:
        raise NotFound(f"no dashboard file {name}")
    return FileResponse(HERE / name, media_type=STATIC[name],
                        headers={"Cache-Control": "public, max-age=3600"})
