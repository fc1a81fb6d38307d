"""A table to export: its columns and rows, with a `<key>_label` column after each code column.

Every exporter (CSV, CSV for Excel, XLSX) writes a `Table`; the rows are the JSON answer's rows
unchanged (published, i.e. suppressed and perturbed, figures), so every format shows the same
numbers. Labels come from the message catalogue in the asked language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from contracts.codes import Language
from contracts.organisations import OrganisationRegistry
from services.reporting.labels import catalogue

LABEL_SUFFIX = "_label"
Row = dict[str, Any]


@dataclass(frozen=True)
class Table:
    """Columns in order and rows keyed by column. `figures` are the columns a suppressed row
    leaves empty (marked in a workbook); `title` names the data in file names and sheets."""

    columns: tuple[str, ...]
    rows: list[Row]
    figures: tuple[str, ...] = ()
    label_columns: frozenset[str] = field(default_factory=frozenset)

    def suppressed(self, row: Row) -> bool:
        return bool(row.get("suppressed"))


def is_date_column(column: str) -> bool:
    """Columns holding a business date (`closed_on`, `first_referral_on`, …)."""
    return column.endswith("_on") or column in ("date", "from", "to")


def cell_value(column: str, value: Any) -> Any:
    """A cell as a typed value: dates of date columns as `date`, everything else as is."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and is_date_column(column):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


def labelled(
    columns: Sequence[str], rows: Sequence[Row], lang: Language, *,
    indicator: str | None = None, organisations: OrganisationRegistry | None = None,
    figures: Sequence[str] = (),
) -> Table:
    """The table with a `<column>_label` column after each code column, in `lang`.

    A code column is one whose values come from a code list of the catalogue (columns.json).
    Which list can depend on the indicator (`kind`): a row's own `indicator` decides, else
    `indicator`.
    """
    names = catalogue()
    out_columns: list[str] = []
    coded: list[str] = []
    for column in columns:
        out_columns.append(column)
        if names.code_list_of(column) is not None or (
            indicator is not None and names.code_list_of(column, indicator) is not None
        ):
            out_columns.append(column + LABEL_SUFFIX)
            coded.append(column)
    out_rows = []
    for row in rows:
        row_indicator = row.get("indicator") or indicator
        labels = {
            column + LABEL_SUFFIX: names.value_label(
                column, row.get(column), lang, indicator=row_indicator,
                organisations=organisations)
            for column in coded
        }
        out_rows.append({**row, **labels})
    return Table(tuple(out_columns), out_rows, tuple(figures),
                 frozenset(c + LABEL_SUFFIX for c in coded))
