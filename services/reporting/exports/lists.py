"""The definitions sheet of an operational list's workbook: which list, whose, on which day,
as of when, that its rows are exact (not an aggregate), and every column's name."""

from __future__ import annotations

from datetime import date

from contracts.codes import Language
from contracts.organisations import OrganisationRegistry
from services.reporting.exports.indicators import column_rows
from services.reporting.exports.table import Table
from services.reporting.exports.workbook import Heading, Sheet, SheetRow
from services.reporting.labels import catalogue


def list_sheet(
    name: str, table: Table, lang: Language, *, organisation: str, on: date, as_of: str,
    organisations: OrganisationRegistry,
) -> Sheet:
    names = catalogue()
    title = names.lists.get(name)
    org_name = organisations.get(organisation).name if organisation in organisations else ""
    rows: list[SheetRow] = [
        Heading(names.word("list", lang)),
        [names.word("list", lang), name],
        [names.word("name", lang), title(lang) if title else name],
        [names.word("organisation", lang), organisation, org_name],
        [names.word("date", lang), on],
        [names.word("as_of", lang), as_of],
        [names.word("language", lang), names.code("Language", lang, lang)],
        ["", names.word("exact_list", lang)],
        *column_rows(table, lang),
    ]
    return Sheet(names.word("sheet_definitions", lang), rows)
