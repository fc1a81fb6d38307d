"""The exports' HTTP side: the `format` and `lang` query parameters and the file responses.

An unknown `format` or `lang` is a 422 naming the field (the runtime's validation problem).
Files are attachments named after what they hold, e.g.
`polku_referrals_made_2025-01-01_2025-12-31_sv.xlsx`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from fastapi import Query
from fastapi.responses import Response

from contracts.codes import Language
from services.reporting.exports.table import Table
from services.reporting.exports.text import write_csv
from services.reporting.exports.workbook import MEDIA_TYPE as XLSX_MEDIA_TYPE
from services.reporting.exports.workbook import Sheet, write_xlsx
from services.reporting.labels import catalogue

Format = Literal["json", "csv", "csv-excel", "xlsx"]
FileFormat = Literal["csv", "csv-excel", "xlsx"]
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

FormatQuery = Annotated[Format, Query(
    description="json (default); csv (RFC 4180: comma, dot decimals, UTF-8, for programs); "
    "csv-excel (semicolon, decimal comma, UTF-8 with BOM, CRLF: for Excel set to Finnish "
    "or Swedish); xlsx (a data sheet and a definitions sheet)")]
FileFormatQuery = Annotated[FileFormat, Query(
    description="csv (RFC 4180), csv-excel (semicolon, decimal comma, BOM) or xlsx")]
LangQuery = Annotated[Language, Query(
    description="language of the labels: fi (default), sv or en; in CSV and XLSX a "
    "<key>_label column follows each code column")]


def filename(*parts: object, format: FileFormat) -> str:
    """`polku_<parts>.<ext>`; only characters safe in a header and on every file system."""
    stem = "_".join(["polku", *(str(p) for p in parts if p not in (None, ""))])
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in stem)
    return f"{safe}.{'xlsx' if format == 'xlsx' else 'csv'}"


def file_response(
    table: Table, format: FileFormat, name: str, *, lang: Language,
    sheets: Sequence[Sheet] = (),
) -> Response:
    """The table as a CSV (either dialect) or XLSX attachment; `sheets` follow the data
    sheet in a workbook (CSV carries no metadata)."""
    disposition = {"Content-Disposition": f'attachment; filename="{name}"',
                   "Content-Language": str(lang)}
    if format == "xlsx":
        data_name = catalogue().word("sheet_data", lang)
        return Response(write_xlsx(data_name, table, sheets), media_type=XLSX_MEDIA_TYPE,
                        headers=disposition)
    return Response(write_csv(table, format), media_type=CSV_MEDIA_TYPE, headers=disposition)
