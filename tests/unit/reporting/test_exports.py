"""The exporters on a fixed indicator answer: CSV for programs, CSV for Finnish Excel and XLSX
show the JSON's numbers, a label column follows each code column, suppressed cells are marked
and the definitions sheet says what was applied."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import openpyxl

from contracts.codes import Language
from contracts.organisations import load_registry
from services.reporting.exports.indicators import answer, definitions_sheet, indicator_table
from services.reporting.exports.table import labelled
from services.reporting.exports.text import write_csv
from services.reporting.exports.workbook import SUPPRESSED_FILL, write_xlsx

CONTROL = {"suppression_threshold": 5, "perturbation": "cell-key", "max_noise": 2}
RESULT: dict[str, Any] = {
    "indicator": "case_duration_days", "from": "2025-01-01", "to": "2025-12-31",
    "as_of": "2026-01-15T10:00:00+00:00", "disclosure_control": CONTROL,
    "rows": [
        {"service": "job_coaching", "region": "kymenlaakso", "n": 12, "value": 101.5,
         "suppressed": False, "mean": 120.333, "p90": 244},
        {"service": "work_ability_assessment", "region": "kymenlaakso", "n": None,
         "value": None, "suppressed": True, "mean": None, "p90": None},
        {"service": "work_ability_assessment", "region": None, "n": 7, "value": 0.244,
         "suppressed": False, "mean": 1234567.125, "p90": 3},
    ],
}


def _table(lang: Language = Language.FI) -> Any:
    one = answer(RESULT, ["service", "region"])
    return one, indicator_table(one, lang, load_registry())


def test_a_label_column_follows_each_code_column_in_the_language_asked() -> None:
    _, table = _table(Language.SV)
    assert table.columns[:4] == ("service", "service_label", "region", "region_label")
    assert table.columns[4:] == ("n", "value", "suppressed", "mean", "p90")
    assert table.rows[0]["service_label"] == "Jobbcoachning"
    assert table.rows[0]["region_label"] == "Kymmenedalens välfärdsområde"
    assert table.rows[2]["region_label"] == ""
    _, english = _table(Language.EN)
    assert english.rows[1]["service_label"] == "Work ability assessment"


def test_csv_for_programs_is_rfc_4180_with_dot_decimals() -> None:
    _, table = _table()
    raw = write_csv(table, "csv")
    assert not raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8")
    assert text.startswith("service,service_label,region,region_label,n,value,suppressed")
    assert text.count("\r\n") == 4
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert rows[2]["value"] == "0.244" and rows[2]["mean"] == "1234567.125"
    assert rows[1]["n"] == "" and rows[1]["suppressed"] == "true"


def test_csv_for_excel_parses_with_semicolons_and_decimal_commas_into_the_json_numbers() -> None:
    _, table = _table()
    raw = write_csv(table, "csv-excel")
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "\r\n" in text and text.count("\n") == text.count("\r\n")
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
    for parsed, original in zip(rows, RESULT["rows"], strict=True):
        for column in ("n", "value", "mean", "p90"):
            if original[column] is None:
                assert parsed[column] == ""
            else:
                assert "." not in parsed[column]
                assert Decimal(parsed[column].replace(",", ".")) == Decimal(str(original[column]))
    assert rows[0]["service_label"] == "Työhönvalmennus"


def test_xlsx_has_typed_cells_marked_suppressed_cells_and_a_definitions_sheet() -> None:
    one, table = _table(Language.EN)
    book = openpyxl.load_workbook(io.BytesIO(write_xlsx(
        "Data", table, [definitions_sheet(one, table, Language.EN)])))
    assert book.sheetnames == ["Data", "Definitions"]
    data = book["Data"]
    header = [cell.value for cell in data[1]]
    assert header == list(table.columns)
    value, n, suppressed = (header.index(c) + 1 for c in ("value", "n", "suppressed"))
    assert data.cell(2, value).value == 101.5 and data.cell(2, value).data_type == "n"
    assert data.cell(4, value).value == 0.244
    assert data.cell(2, n).value == 12 and data.cell(2, suppressed).value is False
    hidden = data.cell(3, value)
    assert hidden.value is None and data.cell(3, suppressed).value is True
    assert hidden.fill.fgColor.rgb.endswith(SUPPRESSED_FILL.lstrip("#"))
    definitions = {row[0]: row[1:] for row in book["Definitions"].iter_rows(values_only=True)}
    assert definitions["Indicator"][0] == "case_duration_days"
    assert definitions["From"][0] == datetime(2025, 1, 1)
    assert definitions["Suppression threshold"][0] == 5
    assert definitions["Perturbation"][0] == "cell-key"
    assert definitions["Largest noise"][0] == 2
    assert "below 5" in definitions["Suppression rule"][0]
    # Which rows were suppressed: data row 3, with its group values.
    assert "service = work_ability_assessment" in definitions[3][0]


def test_dates_of_a_list_are_dates_in_xlsx() -> None:
    rows = [{"case_id": "c1", "client_id": "x", "service": "job_coaching",
             "closed_on": "2025-03-01", "due_on": "2025-05-30", "days_overdue": 12}]
    columns = ("case_id", "client_id", "service", "closed_on", "due_on", "days_overdue")
    table = labelled(columns, rows, Language.SV)
    assert table.columns[3] == "service_label"
    sheet = openpyxl.load_workbook(io.BytesIO(write_xlsx("Data", table))).active
    assert sheet is not None
    assert sheet.cell(2, 5).value == datetime(2025, 3, 1)
    assert sheet.cell(2, 5).is_date
    assert sheet.cell(2, 7).value == 12
    assert write_csv(table).decode().splitlines()[1].endswith(",2025-03-01,2025-05-30,12")


def test_research_values_of_the_database_keep_their_types() -> None:
    rows = [{"research_id": "ab", "first_referral_on": date(2025, 2, 3),
             "baseline_work_ability_score": Decimal("4")}]
    table = labelled(("research_id", "first_referral_on", "baseline_work_ability_score"),
                     rows, Language.FI)
    assert write_csv(table, "csv-excel").decode("utf-8-sig").splitlines()[1] == "ab;2025-02-03;4"
    sheet = openpyxl.load_workbook(io.BytesIO(write_xlsx("Data", table))).active
    assert sheet is not None
    assert sheet.cell(2, 2).value == datetime(2025, 2, 3) and sheet.cell(2, 3).value == 4
