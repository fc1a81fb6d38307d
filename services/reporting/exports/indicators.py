"""Indicator answers as export tables: one indicator, or every indicator as one long table, and
the definitions sheet that says what the figures are and what disclosure control was applied.

The rows are the indicator engine's published rows (suppressed, perturbed), never recomputed:
the exports show exactly the JSON answer's figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from contracts.codes import Language
from contracts.organisations import OrganisationRegistry
from services.reporting.exports.table import LABEL_SUFFIX, Table, labelled
from services.reporting.exports.workbook import Heading, Sheet, SheetRow
from services.reporting.indicators import (
    CATALOGUE,
    INDICATORS,
    DisclosureControl,
    Indicator,
    OrgLookup,
    compute,
)
from services.reporting.indicators.report import row_keys
from services.reporting.labels import catalogue

BASE = ("n", "value", "suppressed")


@dataclass(frozen=True)
class Answer:
    """One indicator's JSON answer and the row keys it was asked with."""

    spec: Indicator
    keys: tuple[str, ...]
    result: dict[str, Any]


def answer(result: dict[str, Any], group_by: Sequence[str]) -> Answer:
    spec = CATALOGUE[result["indicator"]]
    return Answer(spec, tuple(row_keys(spec, list(group_by))), result)


def indicator_table(
    one: Answer, lang: Language, organisations: OrganisationRegistry | None,
) -> Table:
    """keys, n, value, suppressed, extras — with a label column after each code column."""
    columns = [*one.keys, *BASE, *one.spec.extras]
    return labelled(columns, one.result["rows"], lang, indicator=one.spec.id,
                    organisations=organisations, figures=("n", "value", *one.spec.extras))


async def every_indicator(
    conn: asyncpg.Connection, *, date_from: date, date_to: date, as_of: datetime,
    group_by: str | None, threshold: int, orgs: OrgLookup, disclosure: DisclosureControl,
) -> list[Answer]:
    """Every indicator of the catalogue for the period, `group_by` applied where accepted."""
    answers = []
    for spec in INDICATORS:
        keys = [group_by] if group_by and group_by in spec.group_by else []
        result = await compute(conn, spec.id, date_from=date_from, date_to=date_to,
                               group_by=keys, as_of=as_of, threshold=threshold, orgs=orgs,
                               disclosure=disclosure)
        answers.append(answer(result, keys))
    return answers


def long_table(
    answers: Sequence[Answer], lang: Language, organisations: OrganisationRegistry | None,
) -> Table:
    """indicator, every group key, n, value, suppressed, every extra: one row per row."""
    keys = list(dict.fromkeys(k for one in answers for k in one.keys))
    extras = list(dict.fromkeys(e for one in answers for e in one.spec.extras))
    rows = [{"indicator": one.spec.id, **row} for one in answers for row in one.result["rows"]]
    return labelled(["indicator", *keys, *BASE, *extras], rows, lang,
                    organisations=organisations, figures=("n", "value", *extras))


def _disclosure_rows(control: dict[str, Any], lang: Language) -> list[SheetRow]:
    names = catalogue()
    threshold = control.get("suppression_threshold")
    perturbed = control.get("perturbation") == "cell-key"
    return [
        Heading(names.word("disclosure_control", lang)),
        [names.word("suppression_rule", lang),
         names.word("suppression_text", lang, t=threshold) if threshold is not None
         else names.word("suppression_never", lang)],
        [names.word("suppression_threshold", lang), threshold],
        [names.word("perturbation", lang), control.get("perturbation")],
        [names.word("max_noise", lang), control.get("max_noise")],
        ["", names.word("perturbation_cell_key", lang, noise=control.get("max_noise"))
         if perturbed else names.word("perturbation_none", lang)],
    ]


def _suppressed_rows(table: Table, lang: Language) -> list[SheetRow]:
    """Which data rows were suppressed: their sheet row numbers and group values."""
    names = catalogue()
    keys = [c for c in table.columns if c not in (*BASE, *table.figures)
            and not c.endswith(LABEL_SUFFIX)]
    found: list[SheetRow] = []
    for number, row in enumerate(table.rows, start=2):
        if table.suppressed(row):
            where = ", ".join(
                f"{k} = {row.get(k)}" + (f" ({row[k + LABEL_SUFFIX]})"
                                        if row.get(k + LABEL_SUFFIX) else "")
                for k in keys)
            found.append([number, where])
    heading: list[SheetRow] = [Heading(names.word("suppressed_rows", lang))]
    return heading + (found or [[names.word("none", lang)]])


def column_rows(table: Table, lang: Language) -> list[SheetRow]:
    names = catalogue()
    return [Heading(names.word("columns", lang)),
            *([column, names.column_name(column, lang)] for column in table.columns),
            ["", names.word("labels_note", lang)]]


def _period_rows(result: dict[str, Any], lang: Language) -> list[SheetRow]:
    names = catalogue()
    return [
        Heading(names.word("period", lang)),
        [names.word("from", lang), date.fromisoformat(result["from"])],
        [names.word("to", lang), date.fromisoformat(result["to"])],
        [names.word("as_of", lang), result["as_of"]],
        [names.word("language", lang), names.code("Language", lang, lang)],
    ]


def definitions_sheet(one: Answer, table: Table, lang: Language) -> Sheet:
    """The indicator's definition, period, as_of, suppression rule, suppressed rows and
    disclosure control, and every column's name."""
    names = catalogue()
    none = names.word("none", lang)
    rows: list[SheetRow] = [
        Heading(names.word("indicator", lang)),
        [names.word("indicator", lang), one.spec.id],
        [names.word("name", lang), names.indicator_name(one.spec.id, lang) or one.spec.name_en],
        [names.word("definition", lang),
         names.indicator_definition(one.spec.id, lang, one.spec.definition)],
        [names.word("group_by", lang), ", ".join(one.keys) or none],
        *_period_rows(one.result, lang),
        *_disclosure_rows(one.result["disclosure_control"], lang),
        *_suppressed_rows(table, lang),
        *column_rows(table, lang),
    ]
    return Sheet(names.word("sheet_definitions", lang), rows)


def export_definitions_sheet(
    answers: Sequence[Answer], table: Table, lang: Language, group_by: str | None,
) -> Sheet:
    """The long table's definitions: the period, then per indicator its name, definition,
    the grouping applied and its disclosure control; the suppressed rows; the columns."""
    names = catalogue()
    first = answers[0].result if answers else None
    rows: list[SheetRow] = [*(_period_rows(first, lang) if first else [])]
    rows.append([names.word("group_by", lang), group_by or names.word("none", lang)])
    rows.append(Heading(names.word("indicators", lang)))
    rows.append([names.word("indicator", lang), names.word("name", lang),
                 names.word("group_by", lang), names.word("suppression_threshold", lang),
                 names.word("perturbation", lang), names.word("max_noise", lang),
                 names.word("definition", lang)])
    for one in answers:
        control = one.result["disclosure_control"]
        rows.append([one.spec.id, names.indicator_name(one.spec.id, lang) or one.spec.name_en,
                     ", ".join(one.keys) or names.word("none", lang),
                     control.get("suppression_threshold"), control.get("perturbation"),
                     control.get("max_noise"),
                     names.indicator_definition(one.spec.id, lang, one.spec.definition)])
    threshold = next((a.result["disclosure_control"]["suppression_threshold"] for a in answers
                      if a.result["disclosure_control"]["suppression_threshold"]), None)
    perturbed = next((a.result["disclosure_control"] for a in answers
                      if a.result["disclosure_control"]["perturbation"] != "none"), None)
    rows += _disclosure_rows(perturbed or {"suppression_threshold": threshold,
                                           "perturbation": "none", "max_noise": 0}, lang)
    rows += _suppressed_rows(table, lang)
    rows += column_rows(table, lang)
    return Sheet(names.word("sheet_definitions", lang), rows)
