"""A generated history loaded the bench's way (COPY into event_log, then the replay's
rebuild) gives every indicator of the catalogue rows, without and with each group_by key."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from bench.indicator_queries import Period, combinations, indicator_rows
from bench.scale import History
from bench.scale.load import load_history
from services.reporting.indicators import CATALOGUE
from services.reporting.projections.facts import TIME_ORDER

HISTORY = History(seed=5, end=datetime(2026, 11, 1, tzinfo=UTC), years=2)
COUNT = 40_000


def _counted(row: dict[str, object]) -> bool:
    """A published row with a figure: not suppressed, with a value."""
    return not row.get("suppressed") and row.get("value") is not None and bool(row.get("n"))


async def test_every_indicator_and_group_key_has_rows(database_url: str) -> None:
    lines: list[str] = []
    loaded = await load_history(database_url, HISTORY, COUNT, lines.append, processes=2)
    assert loaded.events == COUNT
    period = Period.of(HISTORY)
    conn = await asyncpg.connect(database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM event_log") == COUNT
        in_order = await conn.fetchval(
            """SELECT bool_and(ok) FROM (SELECT recorded_at >= lag(recorded_at) OVER
               (ORDER BY ingest_seq) AS ok FROM event_log) s WHERE ok IS NOT NULL""")
        assert in_order, "event_log is filled in recorded-time order"
        scattered = [table for table, columns in TIME_ORDER.items() if not await conn.fetchval(
            f"""SELECT coalesce(bool_and(ok), true) FROM (SELECT ROW({', '.join(columns)})
                >= lag(ROW({', '.join(columns)})) OVER (ORDER BY ctid) AS ok
                FROM facts.{table}) s WHERE ok IS NOT NULL""")]
        assert not scattered, f"the rebuild leaves rows out of their time order: {scattered}"
        empty = []
        for indicator, group in combinations():
            rows = await indicator_rows(conn, indicator, list(group), period, period.as_of)
            if not any(_counted(row) for row in rows):
                empty.append(f"{indicator} group_by={','.join(group) or '-'}")
            if group and group[0] not in CATALOGUE[indicator].always:
                keyed = {row[group[0]] for row in rows if _counted(row)}
                assert len(keyed - {None}) >= 1, (indicator, group, rows)
        assert not empty, f"without a counted row: {empty}"
    finally:
        await conn.close()
