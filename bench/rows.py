"""Every indicator's exact rows on a generated history, to a JSON file; and the comparison of
two such files (before and after a change), failing on any difference.

    python -m bench.rows compare BEFORE.json AFTER.json

Files are written by `python -m bench --only indicators --rows FILE` (the rows of every
indicator without group_by and with each key alone, for the bench's fixed period and
`as_of` a month before the history's end).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg

from bench.indicator_queries import Period, combinations, indicator_rows, rows_key

Report = Callable[[str], None]


def _plain(value: Any) -> Any:
    """JSON of a row value as the indicator API writes it (FastAPI: a Decimal is a number)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"not JSON: {value!r}")


async def complete_rows(conn: asyncpg.Connection, period: Period,
                        rows: dict[str, list[dict[str, Any]]], report: Report
                        ) -> dict[str, list[dict[str, Any]]]:
    """`rows` plus the combinations missing from it (those whose timed calls timed out),
    computed now without a time limit."""
    complete = dict(rows)
    for indicator, group in combinations():
        key = rows_key(indicator, group)
        if key not in complete:
            report(f"  rows of {key} (no time limit)")
            complete[key] = await indicator_rows(conn, indicator, list(group), period,
                                                 period.as_of)
    return complete


def write_rows(path: Path, meta: dict[str, Any], rows: dict[str, list[dict[str, Any]]]
               ) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"meta": meta, "rows": dict(sorted(rows.items()))}
    path.write_text(json.dumps(body, default=_plain, indent=1, sort_keys=True) + "\n")


def compare(before: dict[str, Any], after: dict[str, Any], report: Report,
            limit: int = 20) -> int:
    """Number of differences between two rows files (their histories must be the same)."""
    differences = 0
    meta_b, meta_a = before["meta"], after["meta"]
    for key in ("seed", "events", "period", "as_of"):
        if meta_b.get(key) != meta_a.get(key):
            report(f"different histories or queries: {key} {meta_b.get(key)!r} != "
                   f"{meta_a.get(key)!r}")
            return 1
    rows_b, rows_a = before["rows"], after["rows"]
    for key in sorted(set(rows_b) | set(rows_a)):
        b, a = rows_b.get(key), rows_a.get(key)
        if b == a:
            continue
        differences += 1
        if differences <= limit:
            report(f"DIFFERENT {key}:\n  before {_first_difference(b, a)[0]}\n"
                   f"  after  {_first_difference(b, a)[1]}")
    report(f"{len(set(rows_b) | set(rows_a))} queries compared, "
           f"{sum(len(r) for r in rows_a.values()):,} rows after; {differences} differ")
    return differences


def _first_difference(b: list[Any] | None, a: list[Any] | None) -> tuple[Any, Any]:
    if b is None or a is None:
        return ("missing" if b is None else f"{len(b)} rows",
                "missing" if a is None else f"{len(a)} rows")
    for row_b, row_a in zip(b, a, strict=False):
        if row_b != row_a:
            return row_b, row_a
    return f"{len(b)} rows", f"{len(a)} rows"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    cmp = sub.add_parser("compare", help="compare two rows files; exit 1 on any difference")
    cmp.add_argument("before", type=Path)
    cmp.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    before = json.loads(args.before.read_text())
    after = json.loads(args.after.read_text())
    differences = compare(before, after, lambda line: print(line, flush=True))
    print("identical" if not differences else "ROWS DIFFER", flush=True)
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
