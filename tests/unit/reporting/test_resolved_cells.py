"""Cells whose key a function resolves after the statement (CellSql.resolve: anonymous
feedback's organisation to its region) merge when they then share their values, and only
counts that add may be merged."""

from __future__ import annotations

import pytest

from services.reporting.indicators.cells import CLIENTS, ITEMS, Cell, CellSql, resolve_cells

REGIONS = {"vantaa-kerava-sote": "vantaa-kerava", "kymenlaakso-ngo": "kymenlaakso"}


def _region(value: str | None) -> str | None:
    if value is not None and value.startswith("org "):
        return REGIONS.get(value.removeprefix("org "))
    return value


def test_cells_sharing_their_resolved_values_merge_their_counts_units_and_values() -> None:
    cells = [
        Cell({"region": "vantaa-kerava", "month": "2026-01"}, {"n": 2}, {"n": ["a", "b"]},
             {"scores": [7, 9]}),
        Cell({"region": "org vantaa-kerava-sote", "month": "2026-01"}, {"n": 1}, {"n": ["c"]},
             {"scores": [3]}),
        Cell({"region": "org vantaa-kerava-sote", "month": "2026-02"}, {"n": 1}, {"n": ["d"]},
             {"scores": None}),
        Cell({"region": "org elsewhere", "month": "2026-01"}, {"n": 4}, {"n": []},
             {"scores": [1]}),
    ]
    merged = {tuple(c.values.values()): c for c in resolve_cells(cells, {"region": _region})}
    assert set(merged) == {("vantaa-kerava", "2026-01"), ("vantaa-kerava", "2026-02"),
                           (None, "2026-01")}
    january = merged["vantaa-kerava", "2026-01"]
    assert (january.counts, january.units, january.aggregates) == (
        {"n": 3}, {"n": ["a", "b", "c"]}, {"scores": [7, 9, 3]})
    assert merged["vantaa-kerava", "2026-02"].aggregates == {"scores": []}
    assert merged[None, "2026-01"].counts == {"n": 4}


def test_a_distinct_count_cannot_be_resolved() -> None:
    with pytest.raises(ValueError, match="must add"):
        CellSql("t", {"region": "r"}, {"client_id": "c"}, {"n": CLIENTS},
                resolve={"region": _region})
    assert CellSql("t", {"region": "r"}, {"client_id": "c"}, {"n": ITEMS},
                   resolve={"region": _region}).resolve
