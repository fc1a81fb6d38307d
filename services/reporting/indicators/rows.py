"""Counted items → indicator rows: grouping, n, suppression, disclosure control (the counts and
shares a reducer publishes go through its Group, which perturbs them: disclosure.py) and the
empty-result row."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

from services.reporting.indicators.disclosure import EXACT, DisclosureControl


class UnknownIndicator(LookupError):
    def __init__(self, indicator: str) -> None:
        super().__init__(f"unknown indicator {indicator!r}")
        self.indicator = indicator


class UnknownGroupBy(ValueError):
    """A `group_by` key the indicator does not accept (HTTP: 422 naming `allowed`)."""

    def __init__(self, indicator: str, unknown: Sequence[str], allowed: Sequence[str]) -> None:
        super().__init__(
            f"{indicator} cannot be grouped by {', '.join(unknown)}; "
            f"allowed: {', '.join(allowed)}"
        )
        self.indicator = indicator
        self.unknown = list(unknown)
        self.allowed = list(allowed)


@dataclass
class Item:
    """One counted thing (referral, case, measurement pair …) with every group value it has."""

    keys: dict[str, Any]
    client: str | None
    data: Any = None
    # The record id (feedback_id, consultation_id …) where n counts records: the unit of
    # disclosure control's record key for those indicators.
    record: str | None = None


@dataclass
class Group:
    """The items of one row, plus the whole population for shares across rows.

    A reducer publishes counts only through `count`/`clients` and shares only through
    `share`/`nps`, so that one `DisclosureControl` perturbs every published figure (each count
    with the cell key of its own units) or, in exact mode, none.
    """

    values: dict[str, Any]
    items: list[Item]
    population: list[Item] = field(repr=False)
    context: Any = field(default=None, repr=False)
    _parents: dict[tuple[str, ...], dict[tuple[Any, ...], list[Item]]] = field(
        default_factory=dict, repr=False)
    disclosure: DisclosureControl = field(default=EXACT, repr=False)
    n_mode: NMode = "clients"

    def matching(self, keys: Sequence[str]) -> list[Item]:
        """The items of the population sharing this row's values on `keys` (a parent row)."""
        key = tuple(keys)
        if key not in self._parents:
            grouped: dict[tuple[Any, ...], list[Item]] = {}
            for item in self.population:
                grouped.setdefault(tuple(item.keys.get(k) for k in key), []).append(item)
            self._parents[key] = grouped
        return self._parents[key].get(tuple(self.values[k] for k in key), [])

    def count_matching(self, keys: Sequence[str]) -> int:
        """How many items of the population share this row's values on `keys` (exact)."""
        return len(self.matching(keys))

    def units(self, items: Iterable[Item]) -> set[str]:
        """The units behind `items`: their records where n counts records, else clients."""
        if self.n_mode == "records":
            return {i.record for i in items if i.record is not None}
        return {i.client for i in items if i.client is not None}

    def count(self, items: Iterable[Item] | None = None) -> int:
        """The published count of `items` (default: the row's), with their units' noise."""
        chosen = self.items if items is None else list(items)
        return self.disclosure.count(len(chosen), self.units(chosen))

    def clients(self, items: Iterable[Item] | None = None) -> int:
        """The published count of the distinct clients of `items` (default: the row's)."""
        chosen = self.items if items is None else items
        distinct = {i.client for i in chosen if i.client is not None}
        return self.disclosure.count(len(distinct), distinct)

    def share(self, numerator: int, denominator: int) -> float | None:
        """A share of two published counts (clamped, rounded; null over 0)."""
        return self.disclosure.share(numerator, denominator)

    def proportion(
        self, numerator: Iterable[Item], denominator: Iterable[Item] | None = None
    ) -> float | None:
        """The share of the published counts of `numerator` items over `denominator` items
        (default: the row's), each count with the cell key of its own units."""
        return self.share(self.count(numerator), self.count(denominator))

    def nps(self, promoters: int, detractors: int, responses: int) -> int | None:
        return self.disclosure.nps(promoters, detractors, responses)

    def n(self) -> int:
        """The row's published n: its distinct clients, or its records."""
        return self.count() if self.n_mode == "records" else self.clients()


Reducer = Callable[[Group], dict[str, Any]]
NMode = Literal["clients", "records"]


def row_order(values: tuple[Any, ...]) -> tuple[tuple[bool, str], ...]:
    return tuple((v is None, str(v)) for v in values)


def aggregate(
    items: list[Item],
    *,
    keys: Sequence[str],
    reducer: Reducer,
    extras: Sequence[str],
    n_mode: NMode,
    threshold: int,
    suppress: bool,
    empty: dict[str, Any] | None,
    context: Any = None,
    disclosure: DisclosureControl = EXACT,
) -> list[dict[str, Any]]:
    """Rows for the combinations of `keys` that occur; `empty` is the row when none do.

    Suppression is decided on the exact n; the rows of an indicator that is never suppressed
    and rows with n 0 are published exact, every other row through `disclosure`.
    """
    if not items:
        return empty_rows(keys, empty, extras)
    groups: dict[tuple[Any, ...], list[Item]] = {}
    for item in items:
        groups.setdefault(tuple(item.keys.get(k) for k in keys), []).append(item)
    parents: dict[tuple[str, ...], dict[tuple[Any, ...], list[Item]]] = {}
    rows = []
    for values in sorted(groups, key=row_order):
        named = dict(zip(keys, values, strict=True))
        group = Group(named, groups[values], items, context, parents, EXACT, n_mode)
        rows.append(publish(named, group, reducer, extras=extras, threshold=threshold,
                            suppress=suppress, disclosure=disclosure))
    return rows


def empty_rows(keys: Sequence[str], empty: dict[str, Any] | None, extras: Sequence[str]
               ) -> list[dict[str, Any]]:
    """The rows when nothing is counted: none when grouped (or always grouped), else the
    indicator's empty row with n 0."""
    if keys or empty is None:
        return []
    return [{"n": 0, "value": empty.get("value"), "suppressed": False}
            | {name: empty.get(name) for name in extras}]


class Published(Protocol):
    """What `publish` needs of a row's group (`Group`, or a SQL cell's `CellGroup`)."""

    disclosure: DisclosureControl

    def n(self) -> int: ...


G = TypeVar("G", bound=Published)


def publish(values: dict[str, Any], group: G, reducer: Callable[[G], dict[str, Any]], *,
            extras: Sequence[str], threshold: int, suppress: bool,
            disclosure: DisclosureControl) -> dict[str, Any]:
    """One row: suppressed on its exact n (exact while `group` is exact), else the
    reducer's figures, through `disclosure` unless the indicator is never suppressed or the
    row's n is 0."""
    n = group.n()
    row: dict[str, Any] = dict(values)
    if suppress and 0 < n < threshold:
        return row | {"n": None, "value": None, "suppressed": True} | {
            name: None for name in extras}
    if suppress and n > 0:
        group.disclosure = disclosure
    reduced = reducer(group)
    row |= {"n": group.n(), "value": reduced["value"], "suppressed": False}
    return row | {name: reduced[name] for name in extras}
