"""CSV of a table in two dialects: `csv` for programs, `csv-excel` for Excel in Finnish or
Swedish.

* `csv`: RFC 4180 — comma, CRLF, dot decimals, UTF-8 without BOM.
* `csv-excel`: semicolon, decimal comma, CRLF, UTF-8 with BOM — Excel set to Finnish or
  Swedish opens it as columns of numbers (a comma is its decimal sign there, the semicolon its
  list separator, and the BOM tells it the file is UTF-8).

Empty cells are nulls; booleans are `true`/`false`; dates `YYYY-MM-DD`; numbers never in
exponent notation.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from services.reporting.exports.table import Table

CsvDialect = Literal["csv", "csv-excel"]
BOM = "\ufeff"


def number_text(value: int | float | Decimal, decimal_sign: str = ".") -> str:
    """A number as plain decimal text (no exponent), with `decimal_sign`."""
    if isinstance(value, int):
        return str(value)
    text = format(Decimal(repr(value)) if isinstance(value, float) else value, "f")
    return text.replace(".", decimal_sign)


def cell_text(value: Any, decimal_sign: str = ".") -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return number_text(value, decimal_sign)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_csv(table: Table, dialect: CsvDialect = "csv") -> bytes:
    """The table as CSV bytes in `dialect`."""
    excel = dialect == "csv-excel"
    decimal_sign = "," if excel else "."
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if excel else ",", lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([cell_text(row.get(column), decimal_sign) for column in table.columns])
    return ((BOM if excel else "") + out.getvalue()).encode("utf-8")
