"""Rebuild every fact table from `event_log` into a shadow schema, then swap it in.

The rebuild fills schema `facts_next` (tables created `LIKE facts.<table> INCLUDING ALL`)
in chunks while `facts` keeps serving queries and the consumer keeps projecting into it.
The swap is one transaction: it locks `event_log` against writers, projects whatever the
chunks did not see (anti-join on the ids the rebuild recorded in `facts_next.rebuild_seen`,
so events committed late or concurrently are never lost; skipped when the rebuild saw as
many events as event_log holds), then drops `facts` and renames
`facts_next` to `facts`. Readers wait for the swap and then see the new tables.

For speed the shadow tables are filled UNLOGGED and without their indexes; before the swap
(and outside its lock) their indexes and constraints, as `LIKE ... INCLUDING ALL` made
them, are built in one pass each, the rows are sorted into their time order (facts.py,
TIME_ORDER) and the tables made LOGGED. A crash before that only loses the
shadow schema, which the next rebuild drops anyway; `facts` is never touched until the swap.
Each chunk is read, and its ids recorded as seen, by one statement (one snapshot), then its
fact rows are COPYed in one transaction; a failure anywhere abandons the shadow schema.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from services.reporting.projections.facts import FACT_TABLES, TIME_ORDER
from services.reporting.projections.firsts import mark, mark_all
from services.reporting.projections.keys import RecordKeys
from services.reporting.projections.projector import copy_fact_rows, logged_fact_rows

Progress = Callable[[int, int], None]
FactRows = dict[str, list[tuple[Any, ...]]]
# A further filling of the shadow schema after the chunks from event_log (replay from the
# topics): it projects what it adds into `facts_next` itself and returns how many events.
Fill = Callable[[asyncpg.Connection], Awaitable[int]]

# What the fact rows need of each event: its id, its times as event_log recorded them from
# the event (the business date computed by the server, the same Europe/Helsinki date as
# projector.local_date), and its envelope's type, data version and data (parsed with
# contracts.registry into the event model).
_EVENT_COLUMNS = """e.event_id, e.type, (e.envelope->>'dataversion')::int AS dataversion,
                    e.occurred_at, (e.occurred_at AT TIME ZONE 'Europe/Helsinki')::date
                    AS local_date, e.recorded_at, (e.envelope->'data')::text AS data"""

_READ_CHUNK = f"""
WITH chunk AS (
    SELECT e.ingest_seq, {_EVENT_COLUMNS} FROM event_log e
    WHERE e.ingest_seq > $1 ORDER BY e.ingest_seq LIMIT $2
), seen AS (
    INSERT INTO facts_next.rebuild_seen (event_id) SELECT event_id FROM chunk
)
SELECT event_id, type, dataversion, occurred_at, local_date, recorded_at, data, ingest_seq
FROM chunk ORDER BY ingest_seq
"""

# Ids first (a narrow anti-join, hashed in memory), then the few missed envelopes.
_READ_MISSED = f"""
SELECT {_EVENT_COLUMNS} FROM event_log e
WHERE e.event_id IN (SELECT l.event_id FROM event_log l
                     WHERE NOT EXISTS (SELECT 1 FROM facts_next.rebuild_seen s
                                       WHERE s.event_id = l.event_id))
"""

# Indexes and constraints of the shadow tables, as LIKE ... INCLUDING ALL created them.
_SHADOW_INDEXES = """
SELECT c.relname AS table_name, ic.relname AS index_name,
       pg_get_indexdef(i.indexrelid) AS index_def,
       con.conname AS constraint_name, pg_get_constraintdef(con.oid) AS constraint_def
FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = c.oid
WHERE n.nspname = 'facts_next' AND c.relname = ANY($1::text[])
ORDER BY c.relname, ic.relname
"""


# The plain index of a shadow table on exactly the given columns, in that order.
_ORDER_INDEX = """
SELECT ic.relname FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'facts_next' AND c.relname = $1 AND i.indpred IS NULL
  AND i.indexprs IS NULL AND ARRAY(
      SELECT a.attname::text FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, at)
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum ORDER BY k.at
  ) = $2::text[]
ORDER BY ic.relname LIMIT 1
"""


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


async def _prepare_shadow(conn: asyncpg.Connection) -> list[str]:
    """Create the shadow tables, unlogged and bare; return the DDL that restores them."""
    restore: list[str] = []
    async with conn.transaction():
        await conn.execute("DROP SCHEMA IF EXISTS facts_next CASCADE")
        await conn.execute("CREATE SCHEMA facts_next")
        for table in FACT_TABLES:
            # Identifiers come from the fixed FACT_TABLES list, never from input.
            await conn.execute(
                f"CREATE UNLOGGED TABLE facts_next.{table} (LIKE facts.{table} INCLUDING ALL)"
            )
        for r in await conn.fetch(_SHADOW_INDEXES, list(FACT_TABLES)):
            table = f"facts_next.{_quote(r['table_name'])}"
            if r["constraint_name"] is not None:
                await conn.execute(
                    f"ALTER TABLE {table} DROP CONSTRAINT {_quote(r['constraint_name'])}")
                restore.append(f"ALTER TABLE {table} ADD CONSTRAINT "
                               f"{_quote(r['constraint_name'])} {r['constraint_def']}")
            else:
                await conn.execute(f"DROP INDEX facts_next.{_quote(r['index_name'])}")
                restore.append(r["index_def"])
        await conn.execute(
            "CREATE UNLOGGED TABLE facts_next.rebuild_seen (event_id uuid NOT NULL)")
    return restore


async def _finish_shadow(conn: asyncpg.Connection, restore: list[str]) -> None:
    """Make the shadow tables durable and index them, before the swap takes its lock."""
    async with conn.transaction():
        await conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
        await conn.execute("SET LOCAL work_mem = '256MB'")
        for statement in restore:
            await conn.execute(statement)
        # No shadow writer is halfway through an id while the marks are computed (they
        # read the indexes just restored), in the order SET LOGGED then takes the tables.
        await conn.execute(f"LOCK TABLE {', '.join(f'facts_next.{t}' for t in FACT_TABLES)}"
                           " IN SHARE ROW EXCLUSIVE MODE")
        await mark_all(conn, schema="facts_next")
        await _order(conn)
        # SET LOGGED rewrites each table and its indexes: the row versions the marks
        # replaced are left behind, so the new facts are as compact as their rows.
        for table in FACT_TABLES:
            await conn.execute(f"ALTER TABLE facts_next.{table} SET LOGGED")
        await conn.execute("ANALYZE facts_next.rebuild_seen")


async def _order(conn: asyncpg.Connection) -> None:
    """Sort each table's rows into its TIME_ORDER (facts.py), on its index of those columns.
    CLUSTER also marks that index, so an operator's plain `CLUSTER facts.<table>` later
    sorts the table the same way again."""
    for table, columns in TIME_ORDER.items():
        index = await conn.fetchval(_ORDER_INDEX, table, list(columns))
        if index is None:
            raise RuntimeError(f"facts.{table} has no index on ({', '.join(columns)}) to keep "
                               "its rows in that order: a migration dropped it?")
        await conn.execute(f"CLUSTER facts_next.{table} USING {_quote(index)}")


async def _swap(conn: asyncpg.Connection, keys: RecordKeys | None) -> int:
    async with conn.transaction():
        await conn.execute("LOCK TABLE event_log IN SHARE MODE")
        await conn.execute("SET LOCAL work_mem = '256MB'")
        # Every id seen is in event_log, which only grows, and projection_position counts it
        # exactly: as many distinct ids seen as events logged means none was missed, and
        # the anti-join over all of event_log (seconds for a million events, under the
        # lock) is needed only when a writer logged events during the rebuild.
        logged = await conn.fetchval("SELECT events FROM projection_position")
        seen = await conn.fetchval(
            "SELECT count(*) FROM (SELECT DISTINCT event_id FROM facts_next.rebuild_seen) s")
        missed = [] if seen == logged else await conn.fetch(_READ_MISSED)
        if missed:
            facts = logged_fact_rows(missed)
            await copy_fact_rows(conn, facts, schema="facts_next", keys=keys)
            await mark(conn, facts, schema="facts_next")
        await conn.execute("DROP TABLE facts_next.rebuild_seen")
        # Which key the new rows are keyed with, and whether two units share one, is for
        # ensure_keyed to say (keys.py).
        await conn.execute("DELETE FROM record_keys_of")
        await _take_facts(conn)
        await conn.execute("DROP SCHEMA IF EXISTS facts CASCADE")
        await conn.execute("ALTER SCHEMA facts_next RENAME TO facts")
    return len(missed)


# How long the swap waits for a facts relation before it gives way to the queries reading
# them, and how often it tries again (about two minutes of queries that never pause).
SWAP_LOCK_WAIT_MS = 200
SWAP_LOCK_ATTEMPTS = 400

_FACTS_RELATIONS = """SELECT c.oid::regclass::text FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'facts' AND c.relkind IN ('r', 'p', 'v', 'm') ORDER BY c.oid"""


async def _take_facts(conn: asyncpg.Connection) -> None:
    """Every relation of `facts` for the swap's DROP, all at once, each waited for at most
    SWAP_LOCK_WAIT_MS (less than the server's `deadlock_timeout`, 1 s by default).

    The DROP alone takes them one by one, waiting for each: a query that holds one of them
    and then asks for one the DROP took is a deadlock, which PostgreSQL may break by
    failing the query. Here the swap gives way instead: it lets go of what it took
    (a savepoint), waits a moment and asks again, until no query is halfway through its
    tables. Meanwhile new queries wait behind its request, so a busy service lets it in."""
    relations = [r[0] for r in await conn.fetch(_FACTS_RELATIONS)]
    if not relations:
        return
    for attempt in range(SWAP_LOCK_ATTEMPTS):
        try:
            async with conn.transaction():
                await conn.execute(f"SET LOCAL lock_timeout = '{SWAP_LOCK_WAIT_MS}ms'")
                await conn.execute(
                    f"LOCK TABLE {', '.join(relations)} IN ACCESS EXCLUSIVE MODE")
                await conn.execute("SET LOCAL lock_timeout = DEFAULT")
            return
        except asyncpg.LockNotAvailableError:
            await asyncio.sleep(min(0.01 * 2 ** attempt, 0.2))
    raise RuntimeError(
        f"the rebuild could not take the facts tables from the queries reading them "
        f"({SWAP_LOCK_ATTEMPTS} tries): find the long ones in pg_stat_activity, or run "
        "the replay again when the service is quieter; the old projections still answer")


def _in_thread(rows: list[asyncpg.Record]) -> asyncio.Future[FactRows] | None:
    return asyncio.ensure_future(asyncio.to_thread(logged_fact_rows, rows)) if rows else None


async def _project_log(
    conn: asyncpg.Connection, reader: asyncpg.Connection | None, chunk_size: int,
    progress: Progress | None, total: int, keys: RecordKeys | None,
) -> int:
    """Every chunk of event_log into `facts_next`, one transaction each; returns how many.

    Parsing events into their models is CPU work, writing is the server's: while `conn`
    writes chunk k, a worker thread builds the fact rows of chunk k+1 (the event loop only
    waits on the socket meanwhile) and `reader`, if given, reads chunk k+2.
    """
    async def read(source: asyncpg.Connection, after: list[asyncpg.Record]
                   ) -> list[asyncpg.Record]:
        chunk: list[asyncpg.Record] = await source.fetch(
            _READ_CHUNK, after[-1]["ingest_seq"] if after else 0, chunk_size)
        return chunk

    done = 0
    rows = await read(reader or conn, [])
    building = _in_thread(rows)
    reading = asyncio.ensure_future(read(reader, rows)) if reader and rows else None
    try:
        while building is not None:
            facts = await building
            following = await (reading or read(conn, rows))
            building = _in_thread(following)
            reading = (asyncio.ensure_future(read(reader, following))
                       if reader and following else None)
            async with conn.transaction():
                await copy_fact_rows(conn, facts, schema="facts_next", keys=keys)
            done += len(rows)
            if progress is not None:
                progress(done, max(total, done))
            rows = following
    finally:
        pending = [f for f in (building, reading) if f is not None and not f.done()]
        for future in pending:
            future.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    return done


async def rebuild(
    conn: asyncpg.Connection, *, chunk_size: int = 50_000, progress: Progress | None = None,
    reader: asyncpg.Connection | None = None, then: Fill | None = None,
    keys: RecordKeys | None = None,
) -> int:
    """Re-project every event of `event_log` into fresh fact tables; returns events seen.

    Must not run inside a transaction: each chunk commits on its own. With a second
    connection to the same database as `reader`, the next chunks are read while the current
    one is projected and written. `then` runs after the last chunk, before the swap.
    With `keys`, the fact rows carry their units' record keys (keys.py).
    """
    restore = await _prepare_shadow(conn)
    total = await conn.fetchval("SELECT count(*) FROM event_log")
    done = await _project_log(conn, reader, chunk_size, progress, total, keys)
    if then is not None:
        done += await then(conn)
    await _finish_shadow(conn, restore)
    done += await _swap(conn, keys)
    return done
