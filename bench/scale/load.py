"""Load a generated history into a reporting database the fast way that is still faithful:
COPY into `event_log` in recorded-time order, then `polku replay` (rebuild from event_log).

Why this is faithful: reporting's fact tables are a pure function of `event_log`, and the
rebuild (services.reporting.projections.rebuild, what `polku replay` runs) derives them with
the same fact specs (projections.facts) as the live consumer, parsing every event with its
contracts model on the way (an invalid event fails the load). What the bypass skips is only
the transport: Kafka, the consumer's dedup bookkeeping and per-batch commits. event_log is
filled in recorded-time order, as a live consumer would have filled it (ingest_seq follows
`time`), so the rows of event_log and of the facts lie on disk as they would in production.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import asyncpg

from bench.scale.history import LOG_COLUMNS, History, ShardStream
from services.reporting.app import record_keys
from services.reporting.replay import replay
from services.runtime.migrate import apply_migrations
from services.runtime.settings import ServiceSettings

Report = Callable[[str], None]

_STAGING = "bench_scale_staging"


@dataclass(frozen=True)
class Loaded:
    events: int
    generate_copy_seconds: float
    order_seconds: float
    rebuild_seconds: float

    def describe(self) -> str:
        total = self.generate_copy_seconds + self.order_seconds + self.rebuild_seconds
        return (f"{self.events:,} events loaded in {total:.0f} s (generate + COPY "
                f"{self.generate_copy_seconds:.0f} s, into event_log in recorded order "
                f"{self.order_seconds:.0f} s, replay from event_log "
                f"{self.rebuild_seconds:.0f} s)")


async def _chunks(shards: ShardStream, report: Report) -> AsyncIterator[bytes]:
    """The pool's shards, taken off the event loop's thread; progress every ~10 s."""
    stream = iter(shards)
    started = last = time.perf_counter()
    while True:
        chunk = await asyncio.to_thread(next, stream, None)
        if chunk is None:
            return
        yield chunk
        now = time.perf_counter()
        if now - last >= 10:
            last = now
            report(f"  generating and copying: {shards.produced:,}/{shards.count:,} events, "
                   f"{now - started:.0f} s")


async def _copy(conn: asyncpg.Connection, history: History, count: int,
                processes: int | None, report: Report) -> int:
    shards = ShardStream(history, count, processes)
    await conn.execute(f"DROP TABLE IF EXISTS {_STAGING}")
    await conn.execute(
        f"""CREATE UNLOGGED TABLE {_STAGING} (event_id uuid, source text, type text,
            subject text, client_id uuid, occurred_at timestamptz, recorded_at timestamptz,
            envelope jsonb)""")
    await conn.copy_to_table(_STAGING, source=_chunks(shards, report),
                             columns=LOG_COLUMNS, format="text")
    return shards.produced


async def _order_into_log(conn: asyncpg.Connection, events: int) -> None:
    """Staging → event_log sorted by recorded time (ingest order of a live consumer)."""
    columns = ", ".join(LOG_COLUMNS)
    async with conn.transaction():
        await conn.execute("SET LOCAL work_mem = '512MB'")
        await conn.execute(f"INSERT INTO event_log ({columns}) SELECT {columns} "
                           f"FROM {_STAGING} ORDER BY recorded_at, event_id")
        # As the projector does for every batch it logs (migration 005).
        await conn.execute("UPDATE projection_position SET events = events + $1", events)
    await conn.execute(f"DROP TABLE {_STAGING}")


async def load_history(url: str, history: History, count: int, report: Report, *,
                       processes: int | None = None) -> Loaded:
    """`count` events of `history` into the (migrated, empty) reporting database at `url`."""
    conn = await asyncpg.connect(url)
    try:
        await apply_migrations(conn, "services.runtime", "services.reporting")
        if await conn.fetchval("SELECT count(*) FROM event_log"):
            raise RuntimeError("the reporting database must be empty")
        started = time.perf_counter()
        events = await _copy(conn, history, count, processes, report)
        copied = time.perf_counter()
        report(f"  {events:,} events generated and copied in {copied - started:.0f} s")
        await _order_into_log(conn, events)
        ordered = time.perf_counter()
        report(f"  event_log filled in recorded order in {ordered - copied:.0f} s")
    finally:
        await conn.close()

    last = [0.0]

    def progress(_phase: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] >= 10 or done >= total:
            last[0] = now
            report(f"  replay from event_log: {done:,}/{total:,}")

    # Keyed as `polku replay` keys them: with the reporting service's configured key.
    result = await replay(url, progress=progress, keys=record_keys(ServiceSettings()))
    if result.rebuilt != events:
        raise AssertionError(f"the rebuild projected {result.rebuilt} of {events} events")
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("VACUUM ANALYZE")
        # The load's pages written back now, not by a checkpoint during the timed queries.
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()
    rebuilt = time.perf_counter()
    return Loaded(events, copied - started, ordered - copied, rebuilt - ordered)
