"""Counted items → indicator rows: grouping, n, suppression and the empty-result row."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal


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


@dataclass
class Group:
    """The items of one row, plus the whole population for shares across rows."""

    values: dict[str, Any]
    items: list[Item]
    population: list[Item] = field(repr=False)
    context: Any = field(default=None, repr=False)
    _counts: dict[tuple[str, ...], Counter[tuple[Any, ...]]] = field(default_factory=dict)

    def count_matching(self, keys: Sequence[str]) -> int:
        """How many items of the population share this row's values on `keys`."""
        key = tuple(keys)
        if key not in self._counts:
            self._counts[key] = Counter(tuple(i.keys.get(k) for k in key) for i in self.population)
        return self._counts[key][tuple(self.values[k] for k in key)]


Reducer = Callable[[Group], dict[str, Any]]
NMode = Literal["clients", "records"]


def _sort_key(values: tuple[Any, ...]) -> tuple[tuple[bool, str], ...]:
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
) -> list[dict[str, Any]]:
    """Rows for the combinations of `keys` that occur; `empty` is the row when none do."""
    if not items:
        if keys or empty is None:
            return []
        return [{"n": 0, "value": empty.get("value"), "suppressed": False}
                | {name: empty.get(name) for name in extras}]
    groups: dict[tuple[Any, ...], list[Item]] = {}
    for item in items:
        groups.setdefault(tuple(item.keys.get(k) for k in keys), []).append(item)
    counts: dict[tuple[str, ...], Counter[tuple[Any, ...]]] = {}
    rows = []
    for values in sorted(groups, key=_sort_key):
        members = groups[values]
        named = dict(zip(keys, values, strict=True))
        if n_mode == "clients":
            n = len({i.client for i in members if i.client is not None})
        else:
            n = len(members)
        row: dict[str, Any] = dict(named)
        if suppress and 0 < n < threshold:
            row |= {"n": None, "value": None, "suppressed": True}
            row |= {name: None for name in extras}
        else:
            reduced = reducer(Group(named, members, items, context, counts))
            row |= {"n": n, "value": reduced["value"], "suppressed": False}
            row |= {name: reduced[name] for name in extras}
        rows.append(row)
    return rows
