"""The before/after rows comparison fails on any difference and only then."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.rows import compare, main, write_rows

META = {"seed": 7, "events": 1000, "period": ["2025-10-01", "2026-09-30"],
        "as_of": "2026-10-01T00:00:00+00:00"}
ROWS: dict[str, list[dict[str, Any]]] = {
    "referrals_made?group_by=": [{"n": 12, "value": 12, "suppressed": False}],
    "days_to_assessment?group_by=region": [
            {"region": "kymenlaakso", "n": 7, "value": Decimal("12.5"), "p90": 30,
             "suppressed": False}]}


def _file(tmp_path: Path, name: str, rows: dict[str, list[dict[str, Any]]]) -> Path:
    path = tmp_path / name
    write_rows(path, META, rows)
    return path


def test_identical_files_compare_equal(tmp_path: Path) -> None:
    before, after = _file(tmp_path, "a.json", ROWS), _file(tmp_path, "b.json", dict(ROWS))
    assert main(["compare", str(before), str(after)]) == 0


def test_a_changed_value_a_missing_query_and_another_history_fail(tmp_path: Path) -> None:
    before = json.loads(_file(tmp_path, "a.json", ROWS).read_text())
    changed = json.loads(json.dumps(before))
    changed["rows"]["days_to_assessment?group_by=region"][0]["value"] = 13.0
    lines: list[str] = []
    assert compare(before, changed, lines.append) == 1
    assert any("days_to_assessment?group_by=region" in line for line in lines)
    missing = json.loads(json.dumps(before))
    del missing["rows"]["referrals_made?group_by="]
    assert compare(before, missing, lines.append) == 1
    other = json.loads(json.dumps(before))
    other["meta"]["seed"] = 8
    assert compare(before, other, lines.append) == 1


def test_decimals_are_written_as_the_api_writes_them(tmp_path: Path) -> None:
    body = json.loads(_file(tmp_path, "a.json", ROWS).read_text())
    assert body["rows"]["days_to_assessment?group_by=region"][0]["value"] == 12.5
