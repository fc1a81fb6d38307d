"""The v2 dashboard over HTTP: every word in fi, sv and en, every indicator of the catalogue
drawable, its downloads in CSV for Excel and XLSX holding the JSON's numbers, and the own
organisation page's registry of operational lists."""

from __future__ import annotations

import io
import re
from typing import Any

import openpyxl

from services.reporting.dashboard.own_org import OWN_LISTS
from services.reporting.dashboard.routes import SCRIPTS
from services.reporting.indicators import INDICATORS
from tests.e2e.dashboard.test_dashboard import ANALYST, AS_OF, Y2025, page_config
from tests.support.services import RunningService

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def page(svc: RunningService) -> tuple[str, dict[str, Any]]:
    async with svc.client() as http:
        response = await http.get("/dashboard")
        for name in SCRIPTS:
            script = await http.get(f"/dashboard/static/{name}")
            assert script.status_code == 200, name
            assert script.headers["content-type"].startswith("text/javascript"), name
    return response.text, page_config(response.text)


async def test_every_word_of_the_page_is_in_finnish_swedish_and_english(
    dashboard: RunningService,
) -> None:
    html, config = await page(dashboard)
    labels = config["labels"]
    for key, words in labels["ui"].items():
        assert set(words) >= {"fi", "sv", "en"} and all(words.values()), key
    assert labels["ui"]["title"]["sv"] == "Polku – lägesbild"
    for chart in config["charts"]:  # every chart's title and definition in each language
        names = labels["chart_titles"].get(chart["id"]) or labels["indicator_names"][
            chart["indicator"]]
        assert all(names[lang] for lang in ("fi", "sv", "en")), chart["id"]
    for indicator, names in labels["indicator_names"].items():
        assert all(names[lang] for lang in ("fi", "sv", "en")), indicator
        assert labels["definitions"][indicator]["en"], indicator
    assert labels["region_names"]["kymenlaakso"]["sv"] == "Kymmenedalen"
    assert labels["code_lists"]["ExitDestination"]["employment"]["sv"]
    # Every element the script labels carries a key the labels have.
    for key in re.findall(r'data-i18n="([a-z_]+)"', html):
        assert key in labels["ui"], key
    assert 'data-lang="sv"' in html and 'id="chart-template"' in html


async def test_every_indicator_of_the_catalogue_can_be_charted(
    dashboard: RunningService,
) -> None:
    _, config = await page(dashboard)
    entries = {e["indicator"]: e for e in config["catalogue"]}
    assert list(entries) == [spec.id for spec in INDICATORS]
    async with dashboard.client() as http:
        for spec in INDICATORS:
            entry = entries[spec.id]
            for group in dict.fromkeys([*entry["group_choices"][:1], ""]):
                keys = list(dict.fromkeys([k for k in (group, *entry["always"]) if k]))
                response = await http.get("/dashboard/data", headers=ANALYST, params={
                    "indicator": spec.id, "group_by": ",".join(keys),
                    "as_of": AS_OF.isoformat(), "region": "kymenlaakso", **Y2025})
                assert response.status_code == 200, (spec.id, group, response.text)
                assert response.json()["group_by"] == list(dict.fromkeys([*keys, "region"]))


def sheet_rows(content: bytes) -> tuple[list[str], list[dict[str, Any]], list[str]]:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    data, *rest = book.worksheets
    header, *rows = [list(r) for r in data.iter_rows(values_only=True)]
    return [str(h) for h in header], [dict(zip(header, r, strict=True)) for r in rows], [
        s.title for s in rest]


async def test_chart_downloads_in_xlsx_and_csv_for_excel_hold_the_charts_numbers(
    dashboard: RunningService,
) -> None:
    params = {"indicator": "exit_destinations", "group_by": "exit_destination",
              "region": "kymenlaakso", "as_of": AS_OF.isoformat(), **Y2025}
    async with dashboard.client() as http:
        shown = (await http.get("/dashboard/data", params=params, headers=ANALYST)).json()
        xlsx = await http.get("/dashboard/data", headers=ANALYST,
                              params={**params, "format": "xlsx", "lang": "sv"})
        excel = await http.get("/dashboard/data", headers=ANALYST,
                               params={**params, "format": "csv-excel", "lang": "en"})
        bad = await http.get("/dashboard/data", headers=ANALYST,
                             params={**params, "format": "xlsx", "lang": "de"})
        anonymous = await http.get("/dashboard/data", params={**params, "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.headers["content-type"] == XLSX
    assert "_sv.xlsx" in xlsx.headers["content-disposition"]
    header, rows, sheets = sheet_rows(xlsx.content)
    assert header[:4] == ["exit_destination", "exit_destination_label", "region",
                          "region_label"]
    assert len(sheets) == 1  # the definitions sheet
    assert len(rows) == len(shown["rows"]) > 1
    for got, row in zip(rows, shown["rows"], strict=True):
        assert got["exit_destination"] == row["exit_destination"]
        if row["suppressed"]:
            assert got["n"] is None and got["value"] is None and got["suppressed"] is True
        else:
            assert (got["n"], got["value"], got["share"]) == (row["n"], row["value"],
                                                              row["share"])
    employment = next(r for r in rows if r["exit_destination"] == "employment")
    assert employment["exit_destination_label"] == "Arbete"  # lang=sv
    text = excel.content.decode("utf-8-sig")
    assert excel.status_code == 200 and text.splitlines()[0].startswith("exit_destination;")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "lang"
    assert anonymous.status_code == 401


async def test_the_own_organisation_page_lists_every_served_list_of_the_registry(
    dashboard: RunningService,
) -> None:
    _, config = await page(dashboard)
    async with dashboard.client() as http:
        served = (await http.get("/openapi.json")).json()["paths"]
    expected = [entry.path for entry in OWN_LISTS if "get" in served.get(entry.path, {})]
    assert [entry["path"] for entry in config["own_lists"]] == expected
    assert {"/referrals/waiting", "/follow-ups/overdue", "/support-plans/due-for-review",
            "/cases/without-baseline"} <= set(expected)
    labels = config["labels"]
    for entry in config["own_lists"]:
        assert all(labels["lists"][entry["id"]].values()), entry["id"]
        for column in entry["columns"]:
            assert column in labels["columns"], (entry["id"], column)
    async with dashboard.client() as http:
        for entry in config["own_lists"]:
            answer = await http.get(entry["path"], headers=ANALYST)
            assert answer.status_code == 200, (entry["path"], answer.text)
            assert answer.json()["organisation"] == "kymenlaakso-sote"
