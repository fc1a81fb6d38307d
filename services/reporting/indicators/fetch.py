"""Reading an indicator's cells (cells.py's `CellSql`): its statement, one per request,
through the stored record keys where they are usable in the statement's own snapshot, and
the parent rows' sums of record keys a reducer reads (`CellSql.parent_of`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from services.reporting.indicators.cells import Cell, CellSql, resolve_cells, set_mask


def _cells(records: Sequence[asyncpg.Record], sql: CellSql, row_keys: Sequence[str],
           perturb: bool, keyed: bool = False) -> list[Cell]:
    cells = []
    # Column names and positions looked up once, not per record (a chart has thousands).
    keys = [(key, f"k_{key}") for key in row_keys]
    counts = [(name, f"c_{name}") for name in sql.counts]
    units = ([(name, sql.units_column(name)) for name in sql.counts]
             if perturb and not keyed else [])
    sums = _sum_columns(sql) if perturb and keyed else []
    aggregates = [(name, f"a_{name}") for name in sql.aggregates]
    for r in records:
        counted = {name: r[column] or 0 for name, column in counts}
        if not row_keys and not any(counted.values()):
            continue  # no group_by and nothing counted: the empty row
        cells.append(Cell({key: r[column] for key, column in keys}, counted,
                          {name: r[column] or [] for name, column in units},
                          {name: r[column] for name, column in aggregates},
                          {name: int(r[column] or 0) for name, column in sums}))
    resolved = [key for key in row_keys if key in sql.resolve]
    return resolve_cells(cells, {key: sql.resolve[key] for key in resolved}) if resolved else cells


def _sum_columns(sql: CellSql) -> list[tuple[str, str]]:
    """Each count's column of its units' record keys' sum (keyed, perturbing)."""
    return [(name, f"s_{sql.units_column(name)[2:]}") for name in sql.counts]


def _unkeyed(records: Sequence[asyncpg.Record], fingerprint: str | None) -> bool:
    """Whether a keyed statement's stored keys were not usable in its snapshot: an item's
    unit had no key yet, or the keys were not (or not `fingerprint`'s: None, any key's)."""
    if not records:
        return False  # nothing counted: no key was read
    stored = records[0]["f_keys"]
    return (stored is None or (fingerprint is not None and stored != fingerprint)
            or any(value for r in records for name, value in r.items() if name.startswith("z_")))


async def fetch_cells(conn: asyncpg.Connection, sql: CellSql, row_keys: Sequence[str], *,
                      as_of: Any, date_from: Any, date_to: Any, perturb: bool,
                      keyed: bool = False, fingerprint: str | None = None) -> list[Cell]:
    """The cells of `row_keys`; `keyed` (`sql.keyable`, and the stored record keys are
    `fingerprint`'s: the perturbing key's, or any when exact): read through the stored
    keys, unless they are not usable in the statement's snapshot (`_unkeyed`)."""
    arguments = (as_of, date_from, date_to, *sql.arguments)
    if keyed and perturb and sql.parent_set(row_keys) not in (None, tuple(row_keys)):
        # Its parent rows are grouped beside its own (GROUPING SETS), for their key sums.
        return (await fetch_cell_sets(conn, sql, row_keys, [row_keys], as_of=as_of,
                                      date_from=date_from, date_to=date_to, perturb=perturb,
                                      keyed=True, fingerprint=fingerprint))[0]
    if keyed:
        records = await conn.fetch(sql.statement(row_keys, perturb, keyed=True), *arguments)
        if not _unkeyed(records, fingerprint):
            return _with_parents(_cells(records, sql, row_keys, perturb, keyed=True), sql,
                                 sql.parent_set(row_keys) if perturb else None, records)
    records = await conn.fetch(sql.statement(row_keys, perturb), *arguments)
    return _cells(records, sql, row_keys, perturb)


async def fetch_cell_sets(
    conn: asyncpg.Connection, sql: CellSql, row_keys: Sequence[str],
    sets: Sequence[Sequence[str]], *, as_of: Any, date_from: Any, date_to: Any, perturb: bool,
    keyed: bool = False, fingerprint: str | None = None,
) -> list[list[Cell]]:
    """`fetch_cells` for each of `sets` (distinct subsets of `row_keys`, which `sql` selects
    the items of) from one statement: the items are selected once, then grouped by each set
    (GROUPING SETS). A chart's rows and its total thus cost one pass, not two."""
    if not row_keys:
        return [await fetch_cells(conn, sql, [], as_of=as_of, date_from=date_from,
                                  date_to=date_to, perturb=perturb, keyed=keyed,
                                  fingerprint=fingerprint)]
    arguments = (as_of, date_from, date_to, *sql.arguments)
    records = None
    # Keyed and perturbing, the parent rows' sets too (their record keys' sums:
    # CellSql.parent_of; exact figures sum the cells' counts).
    parents = [sql.parent_set(keys) if perturb else None for keys in sets]
    grouped = list(dict.fromkeys([*map(tuple, sets), *(p for p in parents if p is not None)]))
    if keyed:
        records = await conn.fetch(sql.statement(row_keys, perturb, grouped, keyed=True),
                                   *arguments)
        keyed = not _unkeyed(records, fingerprint)
    if not keyed:
        records = await conn.fetch(sql.statement(row_keys, perturb, sets), *arguments)
    assert records is not None
    fetched = [_cells([r for r in records if r["g_set"] == set_mask(row_keys, keys)],
                      sql, keys, perturb, keyed) for keys in sets]
    for cells, parent in zip(fetched, parents, strict=True):
        if keyed and parent is not None:
            _with_parents(cells, sql, parent,
                          [r for r in records if r["g_set"] == set_mask(row_keys, parent)])
    return fetched


def _with_parents(cells: list[Cell], sql: CellSql, parent: tuple[str, ...] | None,
                  records: Sequence[asyncpg.Record]) -> list[Cell]:
    """Keyed and perturbed cells with their parent rows' sums of record keys, read from the
    parent rows' `records` (grouped by `parent`; None: no parent rows read)."""
    if parent is None:
        return cells
    sums = _sum_columns(sql)
    by_values = {tuple(r[f"k_{key}"] for key in parent): {
        name: int(r[column] or 0) for name, column in sums} for r in records}
    for cell in cells:
        cell.parent_keys[frozenset(parent)] = by_values[tuple(cell.values[key] for key in parent)]
    return cells
