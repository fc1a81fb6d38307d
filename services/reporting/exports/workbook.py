"""An XLSX workbook (XlsxWriter): a data sheet with typed cells, and sheets of definitions.

On the data sheet numbers are numbers, dates are dates (`yyyy-mm-dd`), booleans are
booleans, and the figure cells of a suppressed row are empty and shaded grey; the header row
holds the column names of the CSV and JSON, so a program reads every format alike. The other
sheets (definitions, codebook) are rows of label and value cells built by the caller.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from services.reporting.exports.table import Table, cell_value

SUPPRESSED_FILL = "#D9D9D9"
MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Heading:
    """A bold row that starts a section of a definitions sheet."""

    text: str


SheetRow = Heading | Sequence[Any]


@dataclass(frozen=True)
class Sheet:
    name: str
    rows: Sequence[SheetRow]


class _Formats:
    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.bold: Format = book.add_format({"bold": True})
        self.header: Format = book.add_format({"bold": True, "bottom": 1})
        self.date: Format = book.add_format({"num_format": "yyyy-mm-dd"})
        self.suppressed: Format = book.add_format({"bg_color": SUPPRESSED_FILL})
        self.wrap: Format = book.add_format({"text_wrap": True, "valign": "top"})


def _write(sheet: Worksheet, row: int, col: int, value: Any, formats: _Formats,
           fmt: Format | None = None) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        sheet.write_boolean(row, col, value, fmt)
    elif isinstance(value, int | float | Decimal):
        sheet.write_number(row, col, float(value), fmt)
    elif isinstance(value, datetime):
        # Excel has no time zones: a moment stays its RFC 3339 text.
        sheet.write_string(row, col, value.isoformat(), fmt)
    elif isinstance(value, date):
        sheet.write_datetime(row, col, datetime(value.year, value.month, value.day),
                             fmt or formats.date)
    else:
        sheet.write_string(row, col, str(value), fmt)


def _data_sheet(book: xlsxwriter.Workbook, name: str, table: Table, formats: _Formats) -> None:
    sheet = book.add_worksheet(name)
    for col, column in enumerate(table.columns):
        sheet.write_string(0, col, column, formats.header)
        sheet.set_column(col, col, max(10, min(40, len(column) + 2)))
    for r, row in enumerate(table.rows, start=1):
        hidden = table.suppressed(row)
        for col, column in enumerate(table.columns):
            if hidden and column in table.figures:
                sheet.write_blank(r, col, None, formats.suppressed)
            else:
                _write(sheet, r, col, cell_value(column, row.get(column)), formats)
    sheet.freeze_panes(1, 0)
    if table.columns:
        sheet.autofilter(0, 0, max(len(table.rows), 1), len(table.columns) - 1)


def _text_sheet(book: xlsxwriter.Workbook, spec: Sheet, formats: _Formats) -> None:
    sheet = book.add_worksheet(spec.name)
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 1, 90, formats.wrap)
    sheet.set_column(2, 4, 30)
    for r, row in enumerate(spec.rows):
        if isinstance(row, Heading):
            sheet.write_string(r, 0, row.text, formats.bold)
            continue
        for col, value in enumerate(row):
            _write(sheet, r, col, value, formats, formats.bold if col == 0 else None)


def write_xlsx(data_name: str, data: Table, sheets: Sequence[Sheet] = ()) -> bytes:
    """The workbook: `data` on its own sheet first, then `sheets` in order."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    formats = _Formats(book)
    _data_sheet(book, data_name, data, formats)
    for spec in sheets:
        _text_sheet(book, spec, formats)
    book.close()
    return out.getvalue()
