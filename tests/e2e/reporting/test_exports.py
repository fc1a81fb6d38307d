"""Exports an analyst opens, over HTTP against a reporting service that read real events: CSV
for Finnish Excel and XLSX show the JSON's numbers, labels follow the codes in fi/sv/en,
GET /indicators/export carries every indicator, the research extract has its codebook, and
a wrong format or language is a 422 naming the field."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import httpx
import openpyxl
import pytest

from services.reporting.indicators import INDICATORS
from services.reporting.research import COLUMNS as RESEARCH_COLUMNS
from services.reporting.research import pseudonym
from services.reporting.schemas import XLSX
from services.runtime.settings import DEV_RESEARCH_KEY
from tests.e2e.reporting.exports_support import (
    FIGURES,
    PERIOD,
    RESEARCH_CLIENTS,
    RESEARCHER,
    excel_rows,
    number,
    same_number,
    sheet_rows,
)
from tests.e2e.reporting.support import SOTE
from tests.support.services import auth


@pytest.fixture
def http(exports_http: httpx.Client) -> httpx.Client:
    return exports_http


def test_csv_for_excel_parses_into_the_json_numbers_for_every_indicator(
        http: httpx.Client) -> None:
    compared = 0
    for indicator in INDICATORS:
        for group_by in (None, indicator.group_by[0]):
            params = PERIOD | ({"group_by": group_by} if group_by else {})
            rows = http.get(f"/indicators/{indicator.id}", params=params).json()["rows"]
            parsed = excel_rows(http.get(f"/indicators/{indicator.id}",
                                          params=params | {"format": "csv-excel"}))
            assert len(parsed) == len(rows), indicator.id
            for mine, theirs in zip(parsed, rows, strict=True):
                for column in (*FIGURES, *indicator.extras):
                    if isinstance(theirs[column], bool):
                        continue
                    assert same_number(number(mine[column]), theirs[column]), (
                        indicator.id, group_by, column, mine[column], theirs[column])
                    compared += theirs[column] is not None
                assert mine["suppressed"] == str(theirs["suppressed"]).lower()
    # Real figures were compared, decimals among them, not only empty cells.
    assert compared > 100


def test_labels_follow_the_codes_in_the_language_asked(http: httpx.Client) -> None:
    params = PERIOD | {"group_by": "target_service,region", "format": "csv"}
    by_lang = {}
    for lang in ("fi", "sv", "en"):
        answer = http.get("/indicators/referrals_made", params=params | {"lang": lang})
        assert answer.status_code == 200, answer.text
        header, first = list(csv.reader(io.StringIO(answer.text, newline="")))[:2]
        assert header[:4] == ["target_service", "target_service_label", "region",
                              "region_label"]
        by_lang[lang] = first
        assert answer.headers["content-language"] == lang
    assert by_lang["fi"][1] == "Työkyvyn arviointi"
    assert by_lang["sv"][1] == "Bedömning av arbetsförmåga"
    assert by_lang["en"][1] == "Work ability assessment"
    assert by_lang["sv"][3] == "Kymmenedalens välfärdsområde"
    assert answer.headers["content-disposition"] == (
        'attachment; filename="polku_referrals_made_target_service_region_2024-01-01_'
        '2024-12-31_en.csv"')


def test_xlsx_has_the_json_numbers_as_numbers_and_says_what_was_applied(
        http: httpx.Client) -> None:
    params = PERIOD | {"group_by": "exit_destination"}
    json_answer = http.get("/indicators/case_duration_days", params=params).json()
    answer = http.get("/indicators/case_duration_days", params=params | {
        "format": "xlsx", "lang": "sv", "as_of": json_answer["as_of"]})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["Data", "Definitioner"]
    rows = sheet_rows(book["Data"])
    assert len(rows) == len(json_answer["rows"]) >= 2
    for mine, theirs in zip(rows, json_answer["rows"], strict=True):
        assert mine["exit_destination"] == theirs["exit_destination"]
        for column in ("n", "value", "mean", "p90"):
            assert mine[column] == theirs[column]
            assert theirs[column] is None or isinstance(mine[column], int | float)
        assert mine["suppressed"] is theirs["suppressed"]
    assert {r["exit_destination_label"] for r in rows} >= {"Arbete"}
    definitions = {row[0]: row[1:] for row in book["Definitioner"].iter_rows(values_only=True)}
    control = json_answer["disclosure_control"]
    assert definitions["Skyddsgräns"][0] == control["suppression_threshold"]
    assert definitions["Störning"][0] == control["perturbation"]
    assert definitions["Största brus"][0] == control["max_noise"]
    assert definitions["Från"][0] == datetime(2024, 1, 1)
    assert definitions["Läge (registreringstid)"][0] == json_answer["as_of"]
    assert "Skyddsregel" in definitions


def test_xlsx_marks_suppressed_cells_and_lists_them_on_the_definitions_sheet(
        http: httpx.Client) -> None:
    params = PERIOD | {"group_by": "exit_destination,month"}
    json_answer = http.get("/indicators/exit_destinations", params=params).json()
    hidden = [i for i, row in enumerate(json_answer["rows"]) if row["suppressed"]]
    # This module's three June exits to education are a cell below the threshold.
    assert any(json_answer["rows"][i]["exit_destination"] == "education"
               and json_answer["rows"][i]["month"] == "2024-06" for i in hidden)
    answer = http.get("/indicators/exit_destinations", params=params | {
        "format": "xlsx", "lang": "en", "as_of": json_answer["as_of"]})
    assert answer.status_code == 200, answer.text
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    data = book["Data"]
    header = [cell.value for cell in data[1]]
    for i, row in enumerate(json_answer["rows"]):
        for column in ("n", "value", "share"):
            cell = data.cell(i + 2, header.index(column) + 1)
            if i in hidden:  # empty and shaded, the row's `suppressed` true
                assert cell.value is None and cell.fill.fgColor.rgb.endswith("D9D9D9")
            else:
                assert cell.value == row[column] and cell.fill.fill_type is None
        assert data.cell(i + 2, header.index("suppressed") + 1).value is row["suppressed"]
    definitions = list(book["Definitions"].iter_rows(values_only=True))
    first = [row[0] for row in definitions]
    rule = definitions[first.index("Suppression rule")][1]
    assert "5" in rule, rule
    listed = first.index("Suppressed rows (row numbers on the Data sheet)")
    # The definitions sheet names each suppressed data row by its sheet row number.
    assert [row[0] for row in definitions[listed + 1:listed + 1 + len(hidden)]] == [
        i + 2 for i in hidden]


def test_a_list_in_xlsx_has_dates_as_dates(http: httpx.Client) -> None:
    json_rows = http.get("/referrals/waiting").json()["rows"]
    assert json_rows
    answer = http.get("/referrals/waiting", params={"format": "xlsx", "lang": "en"})
    assert answer.status_code == 200, answer.text
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    rows = sheet_rows(book["Data"])
    assert [r["referred_on"] for r in rows] == [
        datetime.combine(date.fromisoformat(r["referred_on"]), datetime.min.time())
        for r in json_rows]
    assert [r["days_waiting"] for r in rows] == [r["days_waiting"] for r in json_rows]
    assert rows[0]["target_service_label"] == "Work ability assessment"
    assert "Definitions" in book.sheetnames


def test_the_export_carries_every_indicator_with_the_same_figures(http: httpx.Client) -> None:
    answer = http.get("/indicators/export", params=PERIOD | {"group_by": "region",
                                                             "format": "csv-excel"})
    rows = excel_rows(answer)
    assert 'filename="polku_indicators_region_2024-01-01_2024-12-31_fi.csv"' in \
        answer.headers["content-disposition"]
    exported: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        exported.setdefault(row["indicator"], []).append(row)
    answered = set()
    for indicator in INDICATORS:
        group = {"group_by": "region"} if "region" in indicator.group_by else {}
        theirs = http.get(f"/indicators/{indicator.id}", params=PERIOD | group).json()["rows"]
        answered |= {indicator.id} if theirs else set()
        mine = exported.get(indicator.id, [])
        assert len(mine) == len(theirs), indicator.id
        for one, other in zip(mine, theirs, strict=True):
            assert one["region"] == (other.get("region") or "")
            assert one["indicator_label"]
            for column in (*FIGURES, *indicator.extras):
                assert same_number(number(one[column]), other[column]), (indicator.id, column)
    # Every indicator with rows is in the one table, most of the catalogue in this world.
    assert set(exported) == answered
    assert len(answered) > 15


def test_the_export_as_xlsx_defines_every_indicator(http: httpx.Client) -> None:
    answer = http.get("/indicators/export", params=PERIOD | {"format": "xlsx", "lang": "en"},
                      headers=auth(SOTE, "integration"))
    assert answer.status_code == 200, answer.text
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["Data", "Definitions"]
    first_cells = {row[0] for row in book["Definitions"].iter_rows(values_only=True)}
    assert {i.id for i in INDICATORS} <= first_cells
    data = sheet_rows(book["Data"])
    assert {r["indicator"] for r in data} >= {i.id for i in INDICATORS if not i.always}
    assert all(isinstance(r["n"], int | float) or r["suppressed"] for r in data)


def test_the_research_codebook_and_the_extract_workbook(http: httpx.Client) -> None:
    for lang, label in (("sv", "Kymmenedalens välfärdsområde"),
                        ("en", "Kymenlaakso Wellbeing Services County")):
        answer = http.get("/research/codebook", params={"lang": lang})
        assert answer.status_code == 200, answer.text
        book = answer.json()
        assert book["language"] == lang
        assert [v["name"] for v in book["variables"]] == list(RESEARCH_COLUMNS)
        region = next(v for v in book["variables"] if v["name"] == "region")
        assert {"code": "kymenlaakso", "label": label} in region["codes"]
        assert "HMAC-SHA256" in book["pseudonymisation"] and "research" in book["consent"]
        assert all(v["meaning"] for v in book["variables"])
    extract = http.get("/research/extract", params={"format": "json"}, headers=RESEARCHER)
    assert extract.status_code == 200, extract.text
    json_rows = extract.json()["rows"]
    # The topics are shared with the session's other tests: this module's eight clients are
    # among the rows, each once, under its research pseudonym.
    ours = {pseudonym(DEV_RESEARCH_KEY, client) for client in RESEARCH_CLIENTS}
    assert len(ours) == 8
    assert [r["research_id"] for r in json_rows if r["research_id"] in ours] == sorted(ours)
    workbook = http.get("/research/extract", params={"format": "xlsx", "lang": "fi"},
                        headers=RESEARCHER)
    assert workbook.status_code == 200, workbook.text
    book = openpyxl.load_workbook(io.BytesIO(workbook.content))
    assert book.sheetnames == ["Tiedot", "Koodikirja"]
    rows = sheet_rows(book["Tiedot"])
    assert [r["research_id"] for r in rows] == [r["research_id"] for r in json_rows]
    assert [r["baseline_work_ability_score"] for r in rows] == [
        r["baseline_work_ability_score"] for r in json_rows]
    assert all(isinstance(r["first_referral_on"], datetime) for r in rows)
    codebook_cells = {row[0] for row in book["Koodikirja"].iter_rows(values_only=True)}
    assert set(RESEARCH_COLUMNS) <= codebook_cells


@pytest.mark.parametrize(("path", "params", "field"), [
    ("/indicators/referrals_made", {"format": "pdf"}, "format"),
    ("/indicators/referrals_made", {"lang": "de"}, "lang"),
    ("/referrals/waiting", {"format": "xls"}, "format"),
    ("/referrals/waiting", {"lang": "FI"}, "lang"),
    ("/indicators/export", {"format": "json"}, "format"),
    ("/indicators/export", {"lang": "se"}, "lang"),
    ("/indicators/export", {"group_by": "region,month"}, "group_by"),
    ("/indicators/export", {"group_by": "colour"}, "group_by"),
    ("/research/codebook", {"lang": "no"}, "lang"),
])
def test_an_unknown_format_language_or_key_is_a_422_naming_the_field(
        http: httpx.Client, path: str, params: dict[str, str], field: str) -> None:
    answer = http.get(path, params=PERIOD | params)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in answer.json()["errors"]] == [field]
