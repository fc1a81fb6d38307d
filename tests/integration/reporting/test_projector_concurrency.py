"""event_log takes each event once when several writers (the live consumer and a replay, or
a replay's own writers) project overlapping batches at the same time."""

from __future__ import annotations

import asyncio

import asyncpg

from contracts.envelope import Envelope
from services.reporting.projections import project
from tests.integration.reporting.builders import History


def _clients(count: int) -> History:
    history = History()
    for _ in range(count):
        history.client()
    return history


async def _counts(conn: asyncpg.Connection) -> tuple[int, int, int]:
    return (await conn.fetchval("SELECT count(*) FROM event_log"),
            await conn.fetchval("SELECT count(*) FROM facts.clients"),
            await conn.fetchval("SELECT count(DISTINCT event_id) FROM facts.clients"))


async def test_an_event_logged_first_by_a_concurrent_writer_counts_once(
    conn: asyncpg.Connection, database_url: str
) -> None:
    events = _clients(3).envelopes()
    first, *rest = events
    other = await asyncpg.connect(database_url)
    try:
        async with other.transaction():
            assert await project(other, [first]) == 1
            # Uncommitted: our COPY of the same id waits for it, then meets the conflict.
            ours = asyncio.create_task(_project_in_tx(conn, events))
            await asyncio.sleep(0.3)
            assert not ours.done()
        assert await ours == len(rest)
    finally:
        await other.close()
    assert await _counts(conn) == (3, 3, 3)
    assert await conn.fetchval("SELECT events FROM projection_position") == 3


async def test_overlapping_batches_in_opposite_orders_do_not_deadlock(
    conn: asyncpg.Connection, database_url: str
) -> None:
    events = _clients(3000).envelopes()
    other = await asyncpg.connect(database_url)
    try:
        await other.execute("SET deadlock_timeout = '100ms'")
        new = await asyncio.gather(_project_in_tx(conn, events),
                                   _project_in_tx(other, events[::-1]))
    finally:
        await other.close()
    assert sum(new) == 3000
    assert await _counts(conn) == (3000, 3000, 3000)


async def _project_in_tx(conn: asyncpg.Connection, events: list[Envelope]) -> int:
    async with conn.transaction():
        return await project(conn, events)
