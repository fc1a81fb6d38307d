"""Indicator rows aggregated in SQL: one result row per cell instead of one Python object per
counted thing.

An indicator with a `cells` function states what it counts as SQL (`CellSql`): the items
(a SELECT with the row keys as columns, `$1` = as_of, `$2`/`$3` = the period), the counts
and other aggregates of a cell. The server groups and counts; Python gets only the cells
and applies suppression and disclosure control at the end, as `rows.aggregate` does for
items. Only the units behind each count travel (as arrays) when the counts are perturbed;
exact figures never need them.

`CellGroup` offers the reducer the same vocabulary as `rows.Group` (`count`, `share`,
`proportion`, `nps`, `n`, a parent row), so a reducer reads like its item-based twin and
the two give the same rows, exact and perturbed (tests/integration/reporting/test_cells.py and the
bench's rows comparison).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.reporting.indicators import stats
from services.reporting.indicators.disclosure import EXACT, DisclosureControl, key_sum
from services.reporting.indicators.rows import NMode, empty_rows, publish, row_order


@dataclass(frozen=True)
class Count:
    """One count of a cell: `value` (an SQL aggregate, e.g. `count(*)` or
    `count(DISTINCT client_id)`), the units behind it (`units`, an SQL expression of the
    items) and the items it counts (`where`, SQL; None: all of the cell)."""

    value: str
    units: str = "client_id"
    where: str | None = None
    # An item column saying whether the item's unit has other items: units that are records
    # (projections/keys.py, RECORDS) have one row each but the few marked `shared`. Keyed,
    # their keys' sum is then the unshared items' sum and only the shared items' distinct
    # keys (no sort of every item). None: units repeat, their keys are summed DISTINCT.
    shared: str | None = None


def region_of(alias: str) -> str:
    """SQL: the `region` key of an item, the home region of the client of row `alias` (its
    column `client_id`) as registered at `$1` (the registration holding then:
    projections/firsts.py, LATEST_OF; null when none). Read on the row, which carries its
    client's registrations (projections/stamps.py, REGIONED: how many and, with exactly one,
    its region and recorded time); a client registered more than once is looked up."""
    return f"""CASE {alias}.client_registrations WHEN 0 THEN NULL
        WHEN 1 THEN CASE WHEN {alias}.client_registered_at <= $1 THEN {alias}.client_region END
        ELSE (SELECT g.home_region FROM facts.clients g WHERE g.client_id = {alias}.client_id
              AND g.recorded_at <= $1 AND (g.replaced_at IS NULL OR g.replaced_at > $1)) END"""


# The counts most indicators publish: n (distinct clients) and the counted items.
CLIENTS = Count("count(DISTINCT client_id)")
ITEMS = Count("count(*)")


def values_of(column: str) -> str:
    """SQL: a cell's values of `column` (integers or numerics, as they are: `stats` reads
    both exactly), ascending, so `stats` finds them already in order."""
    return f"array_agg({column} ORDER BY {column})"


@dataclass(frozen=True)
class CellSql:
    """What an indicator counts, as SQL. `items` has a column per key the indicator can be
    grouped by (computed only when asked: `keys` maps a key to its SQL expression over the
    selection `source`), plus the columns its counts and aggregates read."""

    source: str
    keys: dict[str, str]
    columns: dict[str, str]
    counts: dict[str, Count]
    aggregates: dict[str, str] = field(default_factory=dict)
    # Extra SQL arguments after $1..$3 (as_of, from, to).
    arguments: tuple[Any, ...] = ()
    # Table expressions (name → SELECT) the source may join, before `items`.
    ctes: dict[str, str] = field(default_factory=dict)
    # Keys whose value as selected a function maps to the published one (e.g. an
    # organisation's id to its region, from the registry the statement cannot list); the
    # cells that then share their values are merged. Only for counts of records, which add.
    resolve: dict[str, Callable[[Any], Any]] = field(default_factory=dict)
    # The key beside which the reducer reads parent rows (CellGroup.parent): the rows by
    # the other keys. A keyed statement that perturbs groups them too, for the sums of
    # their units' record keys; unkeyed, their units are the union of their cells' (the
    # units travel). Their exact counts are their cells' summed.
    parent_of: str | None = None
    # How the statement writes a grouped key whose items carry another form, beside
    # `KEY_TEXT` (e.g. a code's position in its code list, written back as the code).
    key_text: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.resolve and any("DISTINCT" in c.value for c in self.counts.values()):
            raise ValueError("resolved keys merge cells: their counts must add")

    def key_column(self, units: str) -> str | None:
        """SQL: the record key (projections/keys.py) of a count's units, an item column
        that names a fact row's `client_id` or `feedback_id` (None: another unit)."""
        found = _UNIT_COLUMN.fullmatch(self.columns.get(units, ""))
        return f"{found[1]}.{found[2]}_key" if found else None

    def keyable(self, row_keys: Sequence[str]) -> bool:
        """Whether the database can sum the record keys of every count's units for
        `row_keys`: each unit keyed on its row, and no cells merged afterwards (resolved
        keys; parent rows it groups as well: `parent_of`)."""
        return not any(key in self.resolve for key in row_keys) and all(
            self.key_column(count.units) for count in self.counts.values())

    def parent_set(self, keys: Sequence[str]) -> tuple[str, ...] | None:
        """The keys of the parent rows of the rows by `keys` (None: no parent rows read)."""
        return None if self.parent_of is None else tuple(k for k in keys if k != self.parent_of)

    def units_column(self, name: str) -> str:
        """The column of count `name`'s units: the first count's with the same units and
        items (n and the items of most indicators are one set of clients), so each distinct
        set is aggregated and sent once."""
        count = self.counts[name]
        first = next(other for other, c in self.counts.items()
                     if (c.units, c.where) == (count.units, count.where))
        return f"u_{first}"

    def statement(self, row_keys: Sequence[str], perturb: bool,
                  sets: Sequence[Sequence[str]] | None = None, keyed: bool = False) -> str:
        """One statement: the selection, then one row per combination of `row_keys`; with
        `sets` (subsets of `row_keys`), one row per combination of each set's keys instead,
        its column `g_set` saying which set (`set_mask`). Perturbing, each distinct set of
        units travels (`u_…`). `keyed` (see `keyable`) reads the stored record keys instead:
        a distinct count of units counts their keys (a bigint sorts faster than an id), and
        perturbing sums them (`s_…`); `z_…` counts the items whose unit has no key yet and
        `f_keys` is the stored keys' fingerprint, read in the statement's own snapshot."""
        chosen = [(key, self.keys[key]) for key in row_keys]
        columns = [f"{sql} AS k_{key}" for key, sql in chosen]
        units = sorted({count.units for count in self.counts.values()})
        # Keyed, the units themselves are not read (their keys are), but where a count's
        # items or an aggregate name them: each item then sorts and groups narrower.
        read = " ".join([*(c.where or "" for c in self.counts.values()),
                         *self.aggregates.values()])
        columns += [f"{sql} AS {name}" for name, sql in self.columns.items()
                    if not (keyed and name in units and not re.search(rf"\b{name}\b", read))]
        if keyed:
            # `nokey_…`: the item's unit and key disagree (a unit without its key yet).
            columns += [f"{self.key_column(unit)} AS key_{unit}, ({self.columns[unit]} IS NULL) "
                        f"<> ({self.key_column(unit)} IS NULL) AS nokey_{unit}"
                        for unit in units]
        # The parameters' types, stated once: a statement need not read all three.
        ctes = ["parameters AS (SELECT $1::timestamptz, $2::date, $3::date)"]
        ctes += [f"{name} AS ({sql})" for name, sql in self.ctes.items()]
        ctes.append(f"items AS (SELECT {', '.join(columns)} FROM {self.source})")
        # GROUP BY reads `k_…` as the items' column (an input column wins over an alias).
        key_text = KEY_TEXT | self.key_text
        selected = [f"{key_text[key]} AS k_{key}" if key in key_text else f"k_{key}"
                    for key, _ in chosen]
        for name, count in self.counts.items():
            where = f" FILTER (WHERE {count.where})" if count.where else ""
            value = count.value
            if keyed and value == f"count(DISTINCT {count.units})":
                value = f"count(DISTINCT key_{count.units})"
            selected.append(f"{value}{where} AS c_{name}")
            if perturb and self.units_column(name) == f"u_{name}":
                # Keyed, an item without a unit has no key either (`nokey_…`): the sums
                # pass over its null.
                conditions = [f"({count.where})"] if count.where else []
                conditions += [] if keyed else [f"{count.units} IS NOT NULL"]
                key = f"key_{count.units}"
                if keyed and count.shared is not None:
                    aggregate = (
                        f"coalesce(sum({key}) FILTER (WHERE "
                        f"{' AND '.join([*conditions, f'NOT {count.shared}'])}), 0) + "
                        f"coalesce(sum(DISTINCT {key}) FILTER (WHERE "
                        f"{' AND '.join([*conditions, count.shared])}), 0)")
                else:
                    aggregate = (f"sum(DISTINCT {key})" if keyed
                                 else f"array_agg(DISTINCT {count.units})")
                    if conditions:
                        aggregate += f" FILTER (WHERE {' AND '.join(conditions)})"
                selected.append(f"{aggregate} AS {'s' if keyed else 'u'}_{name}")
        if keyed:
            selected += [f"count(*) FILTER (WHERE nokey_{unit}) AS z_{unit}" for unit in units]
            selected.append("(SELECT fingerprint FROM record_keys_of LIMIT 1) AS f_keys")
        selected += [f"{sql} AS a_{name}" for name, sql in self.aggregates.items()]
        group = f" GROUP BY {', '.join(f'k_{key}' for key, _ in chosen)}" if chosen else ""
        if sets is not None and chosen:
            selected.append(f"GROUPING({', '.join(f'k_{key}' for key in row_keys)}) AS g_set")
            group = " GROUP BY GROUPING SETS ({})".format(", ".join(
                "(" + ", ".join(f"k_{key}" for key in keys) + ")" for keys in sets))
        return f"WITH {', '.join(ctes)} SELECT {', '.join(selected)} FROM items{group}"


# An item column that is a fact row's unit id: its alias and the unit (its key is beside it).
_UNIT_COLUMN = re.compile(r"(\w+)\.(client|feedback)_id")


def month_of(day: str) -> str:
    """SQL: the `month` group key of a date: its month's first day. A statement groups by
    that date and writes each cell's key as YYYY-MM (`KEY_TEXT`): `to_char` on every item
    cost about a microsecond each, a tenth of a second on a year of a country's rows."""
    return month_start(day)


def month_start(day: str) -> str:
    """SQL: the first day of the month of a date, in date arithmetic. (`date_trunc` takes a
    date as a timestamp with time zone, converting every item in the session's zone.)"""
    return f"({day} - date_part('day', {day})::int + 1)"


# How a statement writes a grouped key whose items carry another form (`month_of`).
KEY_TEXT = {"month": "to_char(k_month, 'YYYY-MM')"}


@dataclass
class Cell:
    """One row's exact counts (and, when perturbing, their units or the sums of their
    units' record keys: `keys`) and other aggregates."""

    values: dict[str, Any]
    counts: dict[str, int]
    units: dict[str, list[str]]
    aggregates: dict[str, Any]
    keys: dict[str, int] = field(default_factory=dict)
    # Keyed, its parent row's `keys` (CellSql.parent_of), by the parent's set of keys.
    parent_keys: dict[frozenset[str], dict[str, int]] = field(default_factory=dict)


@dataclass
class CellGroup:
    """A reducer's view of one cell, with `rows.Group`'s vocabulary."""

    cell: Cell
    cells: list[Cell] = field(repr=False)
    disclosure: DisclosureControl = field(default=EXACT, repr=False)
    n_mode: NMode = "clients"
    _parents: dict[tuple[str, ...], dict[tuple[Any, ...], Cell]] = field(
        default_factory=dict, repr=False)

    @property
    def values(self) -> dict[str, Any]:
        return self.cell.values

    def exact(self, name: str) -> int:
        return self.cell.counts[name]

    def aggregate(self, name: str) -> Any:
        return self.cell.aggregates[name]

    def count(self, name: str = "items") -> int:
        """The published count `name` of this cell, with its units' noise."""
        return self._published(self.cell, name)

    def _published(self, cell: Cell, name: str) -> int:
        if name in cell.keys:
            return self.disclosure.count_summed(cell.counts[name], cell.keys[name])
        return self.disclosure.count(cell.counts[name], cell.units.get(name, ()))

    def share(self, numerator: int, denominator: int) -> float | None:
        return self.disclosure.share(numerator, denominator)

    def proportion(self, numerator: str, denominator: str = "items") -> float | None:
        return self.share(self.count(numerator), self.count(denominator))

    def nps(self, promoters: int, detractors: int, responses: int) -> int | None:
        return self.disclosure.nps(promoters, detractors, responses)

    def n(self) -> int:
        return self.count("n")

    def parent(self, keys: Sequence[str], name: str) -> int:
        """The published count `name` of the parent row: the cells sharing this cell's
        values on `keys` together (their exact counts summed, their units united)."""
        key = tuple(keys)
        if self.cell.keys and frozenset(key) not in self.cell.parent_keys:
            raise ValueError("a parent row needs its units or record keys: declare "
                             "CellSql.parent_of")
        if key not in self._parents:
            merged: dict[tuple[Any, ...], Cell] = {}
            for cell in self.cells:
                at = tuple(cell.values[k] for k in key)
                into = merged.setdefault(at, Cell({}, {}, {}, {}))
                for count, value in cell.counts.items():
                    into.counts[count] = into.counts.get(count, 0) + value
                for count, units in cell.units.items():
                    into.units.setdefault(count, []).extend(units)
            self._parents[key] = merged
        parent = self._parents[key][tuple(self.values[k] for k in key)]
        if self.disclosure.key is not None and name not in parent.keys:
            # Summed once per parent, not once per row (a parent holds every row's units),
            # or by the statement (keyed).
            parent.keys[name] = (self.cell.parent_keys[frozenset(key)][name] if self.cell.keys
                                 else key_sum(self.disclosure.key, parent.units.get(name, ())))
        return self._published(parent, name)


CellReducer = Callable[[CellGroup], dict[str, Any]]


def count_cell(group: CellGroup) -> dict[str, Any]:
    """The counted items of the cell."""
    return {"value": group.count()}


def median_p90_cell(group: CellGroup) -> dict[str, Any]:
    """Median and p90 of the cell's `days`."""
    days = group.aggregate("days")
    return {"value": stats.median(days), "p90": stats.p90(days)}


def set_mask(row_keys: Sequence[str], keys: Sequence[str]) -> int:
    """PostgreSQL's GROUPING(row_keys) of the rows grouped by `keys`: a bit for each row key
    the set leaves out, the first key the highest."""
    return sum(1 << (len(row_keys) - 1 - i) for i, key in enumerate(row_keys) if key not in keys)


def resolve_cells(cells: list[Cell], resolve: dict[str, Callable[[Any], Any]]) -> list[Cell]:
    """The cells with their `resolve` keys mapped, those then sharing their values merged:
    counts summed, units and aggregated values (arrays) joined."""
    merged: dict[tuple[Any, ...], Cell] = {}
    for cell in cells:
        values = cell.values | {key: f(cell.values[key]) for key, f in resolve.items()}
        into = merged.setdefault(tuple(values.values()), Cell(values, {}, {}, {}))
        for name, count in cell.counts.items():
            into.counts[name] = into.counts.get(name, 0) + count
        for name, units in cell.units.items():
            into.units.setdefault(name, []).extend(units)
        for name, value in cell.aggregates.items():
            into.aggregates.setdefault(name, []).extend(value or [])
    return list(merged.values())


def aggregate_cells(
    cells: list[Cell],
    *,
    keys: Sequence[str],
    reducer: CellReducer,
    extras: Sequence[str],
    n_mode: NMode,
    threshold: int,
    suppress: bool,
    empty: dict[str, Any] | None,
    disclosure: DisclosureControl = EXACT,
) -> list[dict[str, Any]]:
    """`rows.aggregate` for cells: the same suppression (on the exact n), disclosure control
    of the published figures, empty row and order."""
    if not cells:
        return empty_rows(keys, empty, extras)
    parents: dict[tuple[str, ...], dict[tuple[Any, ...], Cell]] = {}
    rows = []
    for cell in sorted(cells, key=lambda c: row_order(tuple(c.values[k] for k in keys))):
        group = CellGroup(cell, cells, EXACT, n_mode, parents)
        rows.append(publish(cell.values, group, reducer, extras=extras, threshold=threshold,
                            suppress=suppress, disclosure=disclosure))
    return rows


__all__ = [
    "CLIENTS",
    "ITEMS",
    "Cell",
    "CellGroup",
    "CellReducer",
    "CellSql",
    "Count",
    "aggregate_cells",
    "count_cell",
    "median_p90_cell",
    "month_of",
    "month_start",
    "region_of",
    "resolve_cells",
    "set_mask",
    "values_of",
]
