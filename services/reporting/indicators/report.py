"""Compute one indicator: validate the request, count items, aggregate them into rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import asyncpg

from services.reporting.indicators.catalogue import CATALOGUE, Indicator
from services.reporting.indicators.cells import Cell, CellSql, aggregate_cells
from services.reporting.indicators.disclosure import DisclosureControl
from services.reporting.indicators.fetch import fetch_cell_sets, fetch_cells
from services.reporting.indicators.organisations import OrgLookup
from services.reporting.indicators.query import Query
from services.reporting.indicators.rows import UnknownGroupBy, UnknownIndicator, aggregate
from services.reporting.projections.keys import fingerprint, keyed_with
from services.runtime.settings import ServiceSettings

MIN_THRESHOLD = 3
IndicatorResult = dict[str, Any]


def indicator(indicator_id: str) -> Indicator:
    try:
        return CATALOGUE[indicator_id]
    except KeyError:
        raise UnknownIndicator(indicator_id) from None


def row_keys(spec: Indicator, group_by: list[str]) -> list[str]:
    """Validated row keys: the always-grouped keys, then the requested ones, no repeats."""
    unknown = [key for key in group_by if key not in spec.group_by]
    if unknown:
        raise UnknownGroupBy(spec.id, unknown, spec.group_by)
    return list(dict.fromkeys([*spec.always, *group_by]))


async def compute(
    conn: asyncpg.Connection,
    indicator_id: str,
    *,
    date_from: date,
    date_to: date,
    group_by: list[str],
    as_of: datetime,
    threshold: int = 5,
    orgs: OrgLookup,
    disclosure: DisclosureControl | None = None,
    reference: bool = False,
) -> IndicatorResult:
    """The indicator's rows for the period as the facts were at recorded time `as_of`.

    `disclosure` perturbs the published counts (INDICATORS.md, disclosure control); None
    takes the configured POLKU_PERTURBATION_KEY. Only internal comparisons of exact rows
    pass `DisclosureControl.exact()`.

    An indicator with `cells` is aggregated in SQL (cells.py); `reference` computes it from
    its counted items instead, the definition the SQL must reproduce (tests compare both).
    """
    spec = indicator(indicator_id)
    if disclosure is None:
        disclosure = configured_disclosure(ServiceSettings())
    keys = row_keys(spec, group_by)
    as_of = _checked(threshold, as_of)
    q = Query(conn, date_from, date_to, as_of, orgs, keys)
    if spec.cells is not None and spec.cell_reducer is not None and not reference:
        sql = spec.cells(q)
        cells = await fetch_cells(conn, sql, keys, as_of=as_of, date_from=date_from,
                                  date_to=date_to, perturb=disclosure.perturbs,
                                  **await _keyed(conn, sql, keys, disclosure))
        rows = _cell_rows(spec, cells, keys, threshold, disclosure)
    else:
        # Each indicator loads the home regions of the clients it counts (Query.load_regions).
        items = await spec.items(q)
        rows = aggregate(
            items, keys=keys, reducer=spec.reducer, extras=spec.extras, n_mode=spec.n_mode,
            threshold=threshold, suppress=spec.suppress, empty=spec.empty_row, context=q,
            disclosure=disclosure,
        )
    return _result(spec, date_from, date_to, as_of, threshold, disclosure, rows)


async def compute_sets(
    conn: asyncpg.Connection,
    indicator_id: str,
    *,
    date_from: date,
    date_to: date,
    group_bys: list[list[str]],
    as_of: datetime,
    threshold: int = 5,
    orgs: OrgLookup,
    disclosure: DisclosureControl | None = None,
    n_only: Sequence[bool] = (),
) -> list[IndicatorResult]:
    """`compute` for each of `group_bys` (a chart's rows and its total): exactly its results,
    in one statement where that can be (GROUPING SETS: fetch.fetch_cell_sets), which is when
    the indicator is aggregated in SQL, every grouping's keys are among the first's and its
    items do not depend on how they are grouped (by `reason`, a referral is an item per
    reason: not the items of its total). Otherwise one `compute` each.

    `n_only[i]`: of the rows by `group_bys[i]` only `n` and `suppressed` are read (a chart's
    total), so from one statement their other figures are not computed (None): a year's
    median and p90 of a country's case durations are a sort of 155,000 values in Python."""
    spec = indicator(indicator_id)
    if n_only and len(n_only) != len(group_bys):
        raise ValueError("n_only: one flag per group_by, or none")
    if disclosure is None:
        disclosure = configured_disclosure(ServiceSettings())
    asked = [row_keys(spec, group_by) for group_by in group_bys]
    # One grouping set per set of keys: rows by (a, b) are the rows by (b, a), in its order.
    sets = [sorted(keys, key=asked[0].index) if set(keys) <= set(asked[0]) else list(keys)
            for keys in dict.fromkeys(frozenset(keys) for keys in asked)]
    as_of = _checked(threshold, as_of)
    shared = None
    if (spec.cells is not None and spec.cell_reducer is not None and sets
            and all(set(keys) <= set(sets[0]) for keys in sets)):
        queries = [Query(conn, date_from, date_to, as_of, orgs, keys) for keys in sets]
        shared = spec.cells(queries[0])
        if not all(_same_items(shared, spec.cells(q), q.group_by) for q in queries[1:]):
            shared = None
    if shared is None:
        return [await compute(conn, indicator_id, date_from=date_from, date_to=date_to,
                              group_by=group_by, as_of=as_of, threshold=threshold, orgs=orgs,
                              disclosure=disclosure) for group_by in group_bys]
    cell_sets = await fetch_cell_sets(conn, shared, sets[0], sets, as_of=as_of,
                                      date_from=date_from, date_to=date_to,
                                      perturb=disclosure.perturbs,
                                      **await _keyed(conn, shared, sets[0], disclosure))
    fetched = {frozenset(keys): cells for keys, cells in zip(sets, cell_sets, strict=True)}
    only = list(n_only) or [False] * len(asked)
    return [_result(spec, date_from, date_to, as_of, threshold, disclosure, _cell_rows(
        spec, [replace(cell, values={key: cell.values[key] for key in keys})
               for cell in fetched[frozenset(keys)]],
        keys, threshold, disclosure, n_only=n)) for keys, n in zip(asked, only, strict=True)]


async def _keyed(conn: asyncpg.Connection, sql: CellSql, keys: list[str],
                 disclosure: DisclosureControl) -> dict[str, Any]:
    """How the statement reads the stored record keys (fetch.fetch_cells): it can for these
    keys (`CellSql.keyable`) when the rows are keyed, perturbing only with the perturbing
    key (its sums are that key's noise); exact counts only need each unit's key unique."""
    stored = await keyed_with(conn) if sql.keyable(keys) else None
    if stored is None:
        return {"keyed": False}
    if disclosure.key is None:
        return {"keyed": True, "fingerprint": None}
    expected = fingerprint(disclosure.key)
    return {"keyed": stored == expected, "fingerprint": expected}


def _same_items(shared: CellSql, own: CellSql, keys: list[str]) -> bool:
    """Whether `own` (an indicator's SQL for `keys`) selects the items `shared` does, with
    the same values of `keys`."""
    return (shared.source, shared.columns, shared.counts, shared.aggregates, shared.arguments,
            shared.ctes) == (own.source, own.columns, own.counts, own.aggregates,
                             own.arguments, own.ctes) and all(
        shared.keys[key] == own.keys[key] for key in keys) and (
        set(shared.resolve) & set(keys) == set(own.resolve) & set(keys))


def _checked(threshold: int, as_of: datetime) -> datetime:
    if threshold < MIN_THRESHOLD:
        raise ValueError(f"suppression threshold must be at least {MIN_THRESHOLD}, got {threshold}")
    return as_of.replace(tzinfo=UTC) if as_of.tzinfo is None else as_of


def _cell_rows(spec: Indicator, cells: list[Cell], keys: list[str], threshold: int,
               disclosure: DisclosureControl, n_only: bool = False) -> list[dict[str, Any]]:
    assert spec.cell_reducer is not None
    unread = dict.fromkeys(("value", *spec.extras))
    return aggregate_cells(
        cells, keys=keys, reducer=(lambda _: unread) if n_only else spec.cell_reducer,
        extras=spec.extras,
        n_mode=spec.n_mode, threshold=threshold, suppress=spec.suppress,
        empty=spec.empty_row, disclosure=disclosure,
    )


def _result(spec: Indicator, date_from: date, date_to: date, as_of: datetime, threshold: int,
            disclosure: DisclosureControl, rows: list[dict[str, Any]]) -> IndicatorResult:
    return {
        "indicator": spec.id, "from": date_from.isoformat(), "to": date_to.isoformat(),
        "as_of": as_of.isoformat(),
        "disclosure_control": disclosure.describe(threshold=threshold, suppress=spec.suppress),
        "rows": rows,
    }


def configured_disclosure(settings: ServiceSettings) -> DisclosureControl:
    """The disclosure control every published figure goes through: the configured key."""
    return DisclosureControl.cell_key_method(settings.polku_perturbation_key.get_secret_value())
