"""GET /dashboard and its data endpoint over HTTP: every chart has its container, every
number the page gets is a row of the indicator API for the same query, and the numbers need
a token while the page itself does not."""

from __future__ import annotations

import csv as csvlib
import io
import json
import re
from datetime import UTC, date, datetime
from typing import Any

import asyncpg

from services.reporting.dashboard.charts import CHARTS, Chart
from services.reporting.dashboard.labels import SIGN_IN
from services.reporting.dashboard.routes import SCRIPTS
from services.reporting.indicators import (
    CATALOGUE,
    EXACT,
    DisclosureControl,
    RegistryOrgLookup,
    compute,
    configured_disclosure,
)
from tests.support.services import RunningService, auth, token

# After every seeded event was recorded (the history is recorded in 2024–2025) and before
# anything a test run publishes today: the rows cannot move while the test compares them.
AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
Y2024 = {"from": "2024-01-01", "to": "2024-12-31"}
Y2025 = {"from": "2025-01-01", "to": "2025-12-31"}
ANALYST = auth("kymenlaakso-sote", "analyst")


def page_config(html: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="dashboard-config">(.*?)</script>',
                      html, re.S)
    assert match, "the page embeds its configuration"
    return json.loads(match.group(1))


async def data(svc: RunningService, chart: Chart, **params: str) -> dict[str, Any]:
    query = {"indicator": chart.indicator, "group_by": ",".join(chart.group_by),
             "as_of": AS_OF.isoformat(), **params}
    async with svc.client() as http:
        response = await http.get("/dashboard/data", params=query, headers=ANALYST)
    assert response.status_code == 200, response.text
    return response.json()


async def computed_rows(svc: RunningService, chart: Chart, filters: dict[str, str],
                        period: dict[str, str], control: DisclosureControl | None = None,
                        group_by: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """compute() as the indicator API calls it (perturbed with the service's key, unless
    `control` says otherwise), with the filters as group keys, filtered."""
    keys = chart.group_by if group_by is None else group_by
    group_by_ = list(dict.fromkeys([*keys, *filters]))
    conn = await asyncpg.connect(svc.settings.database_url)
    try:
        result = await compute(
            conn, chart.indicator, date_from=date.fromisoformat(period["from"]),
            date_to=date.fromisoformat(period["to"]), group_by=group_by_, as_of=AS_OF,
            threshold=svc.settings.polku_suppression_threshold,
            orgs=RegistryOrgLookup(svc.ctx.organisations),
            disclosure=control or configured_disclosure(svc.settings),
        )
    finally:
        await conn.close()
    return [r for r in result["rows"] if all(r.get(k) == v for k, v in filters.items())]


async def test_the_page_has_every_chart_its_definition_and_same_origin_scripts(
    dashboard: RunningService,
) -> None:
    async with dashboard.client() as http:
        page = await http.get("/dashboard")
        library = await http.get("/dashboard/static/chart.umd.min.js")
        script = await http.get("/dashboard/static/dashboard.js")
        signin = await http.get("/dashboard/static/signin.js")
        elsewhere = await http.get("/dashboard/static/..%2Fdata.py")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    html = page.text
    for chart in CHARTS:
        assert f'id="chart-{chart.id}"' in html, chart.id
        assert f'id="canvas-{chart.id}"' in html, chart.id
    config = page_config(html)
    assert [c["id"] for c in config["charts"]] == [c.id for c in CHARTS]
    for described in config["charts"]:
        assert described["definition"] == CATALOGUE[described["indicator"]].definition
    targets = {c["id"]: c["target"] for c in config["charts"]}
    # The default setting: 002's satisfaction target; no coaching target (INDICATORS.md).
    assert targets["coaching_employment_rate"] is None
    assert targets["client_experience_score"] == 8.5
    assert targets["client_experience_nps"] is None  # 8.5 is a 0–10 score, not an NPS
    assert re.findall(r'src="([^"]+)"', html) == [
        f"/dashboard/static/{name}" for name in SCRIPTS]
    assert library.status_code == 200 and "Chart.js v4" in library.text[:200]
    assert script.status_code == 200
    assert signin.status_code == 200 and "sessionStorage" in signin.text
    assert 'id="sign-in"' in html and 'id="sign-out"' in html
    for key in SIGN_IN:  # the sign-in's words reach the page in all three languages
        assert set(config["labels"]["ui"][key]) == {"fi", "sv", "en"}, key
        assert all(config["labels"]["ui"][key].values()), key
    assert elsewhere.status_code == 404


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csvlib.DictReader(io.StringIO(text.lstrip("\ufeff"))))


async def test_chart_rows_are_the_indicator_api_rows_for_every_filter(
    dashboard: RunningService,
) -> None:
    selections = [
        ({}, Y2025),
        ({"region": "kymenlaakso"}, Y2025),
        ({"region": "pirkanmaa"}, Y2024),
        ({"organisation": "kymenlaakso-sote"}, Y2025),
        ({"region": "kymenlaakso", "organisation": "kymenlaakso-sote"}, Y2025),
    ]
    headers = auth("kymenlaakso-sote", "analyst")
    shown = 0
    for filters, period in selections:
        for chart in CHARTS:
            got = await data(dashboard, chart, **filters, **period)
            applied = {k: v for k, v in filters.items()
                       if k != "organisation" or "organisation" in CATALOGUE[
                           chart.indicator].group_by}
            assert got["filters"] == applied
            expected = await computed_rows(dashboard, chart, applied, period)
            assert got["rows"] == expected, (chart.id, filters)
            lang = ("fi", "sv", "en")[shown % 3]
            async with dashboard.client() as http:  # the request the response names
                api = await http.get(got["api"], headers=headers)
                api_csv = await http.get(f"{got['api']}&format=csv&lang={lang}",
                                         headers=headers)
                csv = await http.get("/dashboard/data", headers=headers, params={
                    "indicator": chart.indicator, "group_by": ",".join(chart.group_by),
                    "as_of": got["as_of"], "format": "csv", "lang": lang,
                    **filters, **period})
            assert api.status_code == 200, api.text
            assert [r for r in api.json()["rows"]
                    if all(r.get(k) == v for k, v in applied.items())] == got["rows"]
            # The chart's CSV: the indicator API's labelled CSV rows under its filters.
            assert csv.headers["content-type"].startswith("text/csv")
            assert csv.headers["content-language"] == lang
            assert csv_rows(csv.text) == [
                r for r in csv_rows(api_csv.text)
                if all(r.get(k) == v for k, v in applied.items())], (chart.id, lang)
            shown += sum(1 for r in got["rows"] if r["n"])
    assert shown > 40, "the seeded history should fill most charts"


async def test_region_and_period_change_what_a_chart_shows(dashboard: RunningService) -> None:
    referrals = next(c for c in CHARTS if c.id == "referrals_by_source")
    kymenlaakso = await data(dashboard, referrals, region="kymenlaakso", **Y2025)
    pirkanmaa = await data(dashboard, referrals, region="pirkanmaa", **Y2024)
    assert {r["region"] for r in kymenlaakso["rows"]} == {"kymenlaakso"}
    assert {r["month"][:4] for r in kymenlaakso["rows"]} == {"2025"}
    # The hand-worked figures are the exact ones; the page shows them perturbed, as the API.
    region = {"region": "kymenlaakso"}
    (total,) = await computed_rows(dashboard, referrals, region, Y2025, EXACT, group_by=())
    (shown,) = await computed_rows(dashboard, referrals, region, Y2025, group_by=())
    assert total["n"] == 14
    assert kymenlaakso["total"] == {"n": shown["n"], "suppressed": False, "summed": False}
    assert abs(shown["n"] - 14) <= 2
    pirkanmaa_2024 = {"month": "2024-02", "referring_org_kind": "kela", "region": "pirkanmaa",
                      "n": 7, "value": 7, "suppressed": False}
    assert await computed_rows(dashboard, referrals, {"region": "pirkanmaa"}, Y2024,
                               EXACT) == [pirkanmaa_2024]
    (row,) = pirkanmaa["rows"]
    assert row == pirkanmaa_2024 | {"n": row["n"], "value": row["value"]}
    # n (7 clients) and value (their 7 referrals) have the same units: the same noise.
    assert row["n"] == row["value"] and abs(row["n"] - 7) <= 2
    nobody = await data(dashboard, referrals, region="pirkanmaa", **Y2025)
    assert nobody["rows"] == [] and nobody["total"]["n"] == 0


async def test_small_cells_are_suppressed_with_their_numbers_withheld(
    dashboard: RunningService,
) -> None:
    referrals = next(c for c in CHARTS if c.id == "referrals_by_source")
    rows = (await data(dashboard, referrals, **Y2025))["rows"]
    self_referred = [r for r in rows if r["referring_org_kind"] == "client_self"]
    assert self_referred == [{"month": "2025-03", "referring_org_kind": "client_self",
                              "n": None, "value": None, "suppressed": True}]
    exits = next(c for c in CHARTS if c.id == "exit_destinations")
    other = [r for r in (await data(dashboard, exits, **Y2025))["rows"]
             if r["exit_destination"] == "other"]
    assert other and other[0]["suppressed"] and other[0]["share"] is None


async def test_bad_requests_are_problems_not_errors(dashboard: RunningService) -> None:
    cases = [
        ({"indicator": "no_such"}, 404),
        ({"indicator": "referrals_made", "group_by": "organisation"}, 422),
        ({"indicator": "referrals_made", "from": "2025-02-01", "to": "2025-01-01"}, 422),
        ({"indicator": "referrals_made", "from": "2025-13-01"}, 422),
        ({"indicator": "referrals_made", "region": "atlantis"}, 422),
        ({"indicator": "referrals_made", "organisation": "nobody"}, 422),
        ({"indicator": "referrals_made", "as_of": "2025-01-01T00:00:00"}, 422),  # no offset
        ({"indicator": "referrals_made", "format": "xml"}, 422),
    ]
    async with dashboard.client() as http:
        for params, status in cases:
            response = await http.get("/dashboard/data", params=params, headers=ANALYST)
            assert response.status_code == status, (params, response.text)
            assert response.headers["content-type"] == "application/problem+json"


async def test_the_data_needs_a_token_and_the_page_does_not(dashboard: RunningService) -> None:
    query = {"indicator": "referrals_made", "as_of": AS_OF.isoformat(), **Y2025}
    expired = token("kymenlaakso-sote", "analyst", ttl=-60)
    refused = [
        ({}, {}),
        ({}, {"format": "csv"}),
        ({"Authorization": f"Bearer {expired}"}, {}),
        ({"Authorization": "Bearer not-a-token"}, {"format": "csv"}),
        ({"Authorization": f"Basic {token('kymenlaakso-sote', 'analyst')}"}, {}),
    ]
    async with dashboard.client() as http:
        for headers, extra in refused:
            response = await http.get("/dashboard/data", params={**query, **extra},
                                      headers=headers)
            assert response.status_code == 401, (headers, extra, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["status"] == 401
            assert "rows" not in response.text
        # Even a request that names no indicator learns nothing before it signs in.
        bare = await http.get("/dashboard/data")
        signed = await http.get("/dashboard/data", params=query, headers=ANALYST)
        csv = await http.get("/dashboard/data", params={**query, "format": "csv"},
                             headers=ANALYST)
        page = await http.get("/dashboard")
    assert bare.status_code == 401
    assert signed.status_code == 200 and signed.json()["rows"][0]["n"] > 0
    assert csv.status_code == 200 and csv_rows(csv.text)[0]["n"] == str(
        signed.json()["rows"][0]["n"])
    assert page.status_code == 200 and 'id="sign-in"' in page.text
