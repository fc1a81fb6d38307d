"""Every indicator and every operational list in each file format (`csv`, `csv-excel`,
`xlsx`) and language (API.md: `format` and `lang`), over HTTP against a reporting service
that read real events: the file's figures are the JSON's, a label column in the language
asked follows each code column; the research extract for Excel in Swedish."""

from __future__ import annotations

import csv
import io

import httpx
import openpyxl
import pytest

from services.reporting.indicators import INDICATORS
from services.reporting.research import pseudonym
from services.runtime.settings import DEV_RESEARCH_KEY
from tests.e2e.reporting.exports_support import (
    FIGURES,
    LANGS,
    PERIOD,
    RESEARCH_CLIENTS,
    RESEARCHER,
    SHEETS,
    excel_rows,
    file_rows,
    same_number,
)


@pytest.fixture
def http(exports_http: httpx.Client) -> httpx.Client:
    return exports_http


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
        rows = file_rows(answer, format)
        assert len(rows) == len(json_answer["rows"]), indicator.id
        key = indicator.group_by[0]
        for mine, theirs in zip(rows, json_answer["rows"], strict=True):
            assert key + "_label" in mine or key == "month", (indicator.id, list(mine))
            for column in (*FIGURES, *indicator.extras):
                if not isinstance(theirs[column], bool):
                    assert same_number(mine[column], theirs[column]), (
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
        rows = file_rows(answer, format)
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
        labels = {lang: {r["target_service_label"] for r in file_rows(http.get(path, params={
            "format": format, "lang": lang}), format)
            if r["target_service"] == "work_ability_assessment"} for lang in LANGS}
        assert labels == {"fi": {"Työkyvyn arviointi"}, "sv": {"Bedömning av arbetsförmåga"},
                          "en": {"Work ability assessment"}}


def test_the_research_extract_for_excel_in_swedish(http: httpx.Client) -> None:
    answer = http.get("/research/extract", params={"format": "csv-excel", "lang": "sv"},
                      headers=RESEARCHER)
    rows = excel_rows(answer)
    ours = {pseudonym(DEV_RESEARCH_KEY, client) for client in RESEARCH_CLIENTS}
    mine = [r for r in rows if r["research_id"] in ours]
    assert len(mine) == 8
    assert {r["region_label"] for r in mine} == {"Kymmenedalens välfärdsområde"}
    assert list(rows[0])[:4] == ["research_id", "age_band", "region", "region_label"]
