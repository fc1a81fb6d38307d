"""Exports an analyst opens, over HTTP against a reporting service that read real events: CSV
for Finnish Excel and XLSX show the JSON's numbers, labels follow the codes in fi/sv/en,
GET /indicators/export carries every indicator, the research extract has its codebook, and
a wrong format or language is a 422 naming the field."""

from __future__ import annotations

import contextlib
import csv
import io
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx
import openpyxl
import pytest

from polku.infra import Infrastructure
from polku.stack import run_sync
from services.reporting.app import build_definition
from services.reporting.indicators import INDICATORS
from services.reporting.research import COLUMNS as RESEARCH_COLUMNS
from services.reporting.research import pseudonym
from services.reporting.schemas import XLSX
from services.runtime.settings import DEV_RESEARCH_KEY
from tests.e2e.reporting.bad_input_setup import ANALYST
from tests.e2e.reporting.support import SOTE, Pathways, publish, wait_logged
from tests.support.services import ServiceThread, auth

PERIOD = {"from": "2024-01-01", "to": "2024-12-31"}
RESEARCHER = auth("pirkanmaa-sote", "researcher")
FIGURES = ("n", "value")


RESEARCH_CLIENTS: list[str] = []  # this module's consenting clients (the topics are shared)


def _world() -> Pathways:
    """Eight pathways of one organisation in 2024, every client consenting to research; one
    referral still waiting."""
    p = Pathways()
    for i in range(8):
        client = p.client(region="kymenlaakso")
        RESEARCH_CLIENTS.append(client)
        p.consent(client, "2024-01-05", "research")
        case = p.accept(p.referral(client, f"2024-01-{10 + i}"), client, f"2024-01-{20 + i}")
        p.assessment(client, "2024-02-01")
        p.score(client, "2024-02-02", "baseline", 3 + i % 4)
        p.status(client, "2024-02-02", "baseline", "unemployed")
        p.plan(client, case, "2024-02-15")
        engagement = p.coaching(client, "2024-03-01")
        p.placement(client, "2024-04-01", "pay_subsidised_job" if i % 2 else "work_trial",
                    engagement=engagement)
        p.end_coaching(engagement, client, "2024-06-20")
        p.close(case, client, "2024-06-30", "employment" if i % 3 else "education")
        if i % 2:
            p.score(client, "2024-10-01", "follow_up", 6 + i % 4)
    waiting = p.client()
    p.referral(waiting, "2024-11-01")
    return p


@pytest.fixture(scope="module")
def http(infra: Infrastructure) -> Iterator[httpx.Client]:
    name = f"test_reporting_{uuid.uuid4().hex[:10]}"
    url = infra.database_url(name)
    p = _world()
    consumer = f"reporting-exports-{uuid.uuid4().hex[:8]}"
    try:
        with ServiceThread(build_definition(consumer), database_url=url,
                           kafka_bootstrap=infra.kafka_bootstrap) as service, \
                httpx.Client(base_url=service.base_url, headers=ANALYST, timeout=120) as client:
            run_sync(publish(infra.kafka_bootstrap, p.envelopes))
            run_sync(wait_logged(url, p.ids))
            yield client
    finally:
        with contextlib.suppress(Exception):
            run_sync(infra.drop_database(name))


def _excel_rows(answer: httpx.Response) -> list[dict[str, str]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.content.startswith(b"\xef\xbb\xbf")
    text = answer.content.decode("utf-8-sig")
    assert text.count("\n") == text.count("\r\n")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


def _number(text: str) -> Decimal | None:
    return None if text == "" else Decimal(text.replace(",", "."))


def _same_number(parsed: Decimal | float | None, original: Any) -> bool:
    if original is None:
        return parsed is None
    return parsed is not None and Decimal(str(parsed)) == Decimal(str(original))


def test_csv_for_excel_parses_into_the_json_numbers_for_every_indicator(
        http: httpx.Client) -> None:
    compared = 0
    for indicator in INDICATORS:
        for group_by in (None, indicator.group_by[0]):
            params = PERIOD | ({"group_by": group_by} if group_by else {})
            rows = http.get(f"/indicators/{indicator.id}", params=params).json()["rows"]
            parsed = _excel_rows(http.get(f"/indicators/{indicator.id}",
                                          params=params | {"format": "csv-excel"}))
            assert len(parsed) == len(rows), indicator.id
            for mine, theirs in zip(parsed, rows, strict=True):
                for column in (*FIGURES, *indicator.extras):
                    if isinstance(theirs[column], bool):
                        continue
                    assert _same_number(_number(mine[column]), theirs[column]), (
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


def _sheet_rows(sheet: Any) -> list[dict[str, Any]]:
    values = list(sheet.iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


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
    rows = _sheet_rows(book["Data"])
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
    rows = _sheet_rows(book["Data"])
    assert [r["referred_on"] for r in rows] == [
        datetime.combine(date.fromisoformat(r["referred_on"]), datetime.min.time())
        for r in json_rows]
    assert [r["days_waiting"] for r in rows] == [r["days_waiting"] for r in json_rows]
    assert rows[0]["target_service_label"] == "Work ability assessment"
    assert "Definitions" in book.sheetnames


def test_the_export_carries_every_indicator_with_the_same_figures(http: httpx.Client) -> None:
    answer = http.get("/indicators/export", params=PERIOD | {"group_by": "region",
                                                             "format": "csv-excel"})
    rows = _excel_rows(answer)
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
                assert _same_number(_number(one[column]), other[column]), (indicator.id, column)
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
    data = _sheet_rows(book["Data"])
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
    rows = _sheet_rows(book["Tiedot"])
    assert [r["research_id"] for r in rows] == [r["research_id"] for r in json_rows]
    assert [r["baseline_work_ability_score"] for r in rows] == [
        r["baseline_work_ability_score"] for r in json_rows]
    assert all(isinstance(r["first_referral_on"], datetime) for r in rows)
    codebook_cells = {row[0] for row in book["Koodikirja"].iter_rows(values_only=True)}
    assert set(RESEARCH_COLUMNS) <= codebook_cells


SHEETS = {"fi": ["Tiedot", "Määritelmät"], "sv": ["Data", "Definitioner"],
          "en": ["Data", "Definitions"]}
LANGS = ("fi", "sv", "en")


def _file_rows(answer: httpx.Response, format: str) -> list[dict[str, Any]]:
    """The data rows of a `csv`, `csv-excel` or `xlsx` answer, numbers parsed as the format
    writes them (dot or comma decimals, or typed cells)."""
    assert answer.status_code == 200, answer.text
    if format == "xlsx":
        assert answer.headers["content-type"] == XLSX
        return _sheet_rows(openpyxl.load_workbook(io.BytesIO(answer.content)).worksheets[0])
    if format == "csv-excel":
        return [{k: _number(v) if k in FIGURES_AND_EXTRAS else v for k, v in row.items()}
                for row in _excel_rows(answer)]
    assert answer.headers["content-type"].startswith("text/csv")
    assert not answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(answer.text, newline="")))
    return [{k: (None if v == "" else Decimal(v)) if k in FIGURES_AND_EXTRAS else v
             for k, v in row.items()} for row in rows]


FIGURES_AND_EXTRAS = {*FIGURES, *(e for i in INDICATORS for e in i.extras)}


@pytest.mark.parametrize("format", ["csv", "csv-excel", "xlsx"])
def test_every_indicator_answers_each_file_format_in_each_language(
        http: httpx.Client, format: str) -> None:
    """API.md: `format` and `lang` on every indicator; the file's figures are the JSON's,
    a label column in the language asked follows each code column."""
    for number, indicator in enumerate(INDICATORS):
        lang = LANGS[number % 3]
        params = PERIOD | {"group_by": indicator.group_by[0]}
        json_answer = http.get(f"/indicators/{indicator.id}", params=params).json()
        answer = http.get(f"/indicators/{indicator.id}", params=params | {
            "format": format, "lang": lang, "as_of": json_answer["as_of"]})
        assert answer.headers.get("content-language") == lang, indicator.id
        rows = _file_rows(answer, format)
        assert len(rows) == len(json_answer["rows"]), indicator.id
        key = indicator.group_by[0]
        for mine, theirs in zip(rows, json_answer["rows"], strict=True):
            assert key + "_label" in mine or key == "month", (indicator.id, list(mine))
            for column in (*FIGURES, *indicator.extras):
                if not isinstance(theirs[column], bool):
                    assert _same_number(mine[column], theirs[column]), (
                        indicator.id, format, column, mine[column], theirs[column])
        if format == "xlsx":
            book = openpyxl.load_workbook(io.BytesIO(answer.content))
            assert book.sheetnames == SHEETS[lang], indicator.id


@pytest.mark.parametrize("path", ["/follow-ups/overdue", "/support-plans/due-for-review",
                                  "/referrals/waiting", "/cases/without-baseline"])
@pytest.mark.parametrize("format", ["csv", "csv-excel", "xlsx"])
def test_every_list_answers_each_file_format_in_each_language(
        http: httpx.Client, path: str, format: str) -> None:
    """API.md/INDICATORS.md: the operational lists take `format` and `lang` like the
    indicators; a code column is followed by its label in the language asked."""
    json_rows = http.get(path).json()["rows"]
    for lang in LANGS:
        answer = http.get(path, params={"format": format, "lang": lang})
        rows = _file_rows(answer, format)
        assert answer.headers["content-language"] == lang
        assert len(rows) == len(json_rows), (path, lang)
        if format == "xlsx":
            book = openpyxl.load_workbook(io.BytesIO(answer.content))
            assert book.sheetnames == SHEETS[lang]
            header = [c.value for c in book.worksheets[0][1]]
        else:
            text = answer.content.decode("utf-8-sig")
            header = next(csv.reader(io.StringIO(text), delimiter=";" if format == "csv-excel"
                                     else ","))
        for code in ("service", "target_service"):
            if code in header:
                assert header[header.index(code) + 1] == code + "_label", header
    # This module's waiting referral: its service's label follows the language.
    if path == "/referrals/waiting":
        labels = {lang: {r["target_service_label"] for r in _file_rows(http.get(path, params={
            "format": format, "lang": lang}), format)
            if r["target_service"] == "work_ability_assessment"} for lang in LANGS}
        assert labels == {"fi": {"Työkyvyn arviointi"}, "sv": {"Bedömning av arbetsförmåga"},
                          "en": {"Work ability assessment"}}


def test_the_research_extract_for_excel_in_swedish(http: httpx.Client) -> None:
    answer = http.get("/research/extract", params={"format": "csv-excel", "lang": "sv"},
                      headers=RESEARCHER)
    rows = _excel_rows(answer)
    ours = {pseudonym(DEV_RESEARCH_KEY, client) for client in RESEARCH_CLIENTS}
    mine = [r for r in rows if r["research_id"] in ours]
    assert len(mine) == 8
    assert {r["region_label"] for r in mine} == {"Kymmenedalens välfärdsområde"}
    assert list(rows[0])[:4] == ["research_id", "age_band", "region", "region_label"]


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
