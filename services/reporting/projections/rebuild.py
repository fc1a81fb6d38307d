"""Rebuild every fact table from `event_log` into a shadow schema, then swap it in.

The rebuild fills schema `facts_next` (tables created `LIKE facts.<table> INCLUDING ALL`)
in chunks while `facts` keeps serving queries and the consumer keeps projecting into it.
The swap is one transaction: it locks `event_log` against writers, projects whatever the
chunks did not see (anti-join on the ids the rebuild recorded in `facts_next.rebuild_seen`,
so events committed late or concurrently are never lost), then drops `facts` and renames
`facts_next` to `facts`. Readers wait for the swap and then see the new tables.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import asyncpg

from services.reporting.projections.facts import FACT_TABLES
from services.reporting.projections.projector import insert_facts

Progress = Callable[[int, int], None]


async def _prepare_shadow(conn: asyncpg.Connection) -> None:
    async with conn.transaction():
        await conn.execute("DROP SCHEMA IF EXISTS facts_next CASCADE")
        await conn.execute("CREATE SCHEMA facts_next")
        for table in FACT_TABLES:
            # Identifiers come from the fixed FACT_TABLES list, never from input.
            await conn.execute(
                f"CREATE TABLE facts_next.{table} (LIKE facts.{table} INCLUDING ALL)"
            )
        await conn.execute("CREATE TABLE facts_next.rebuild_seen (event_id uuid NOT NULL)")


async def _project_chunk(conn: asyncpg.Connection, rows: list[asyncpg.Record]) -> None:
    await insert_facts(conn, (json.loads(r["envelope"]) for r in rows), schema="facts_next")
    await conn.copy_records_to_table(
        "rebuild_seen", records=[(r["event_id"],) for r in rows], schema_name="facts_next"
    )


async def _swap(conn: asyncpg.Connection) -> int:
    async with conn.transaction():
        await conn.execute("LOCK TABLE event_log IN SHARE MODE")
        await conn.execute("CREATE INDEX ON facts_next.rebuild_seen (event_id)")
        missed = await conn.fetch(
            """SELECT e.event_id, e.envelope::text AS envelope FROM event_log e
               WHERE NOT EXISTS (SELECT 1 FROM facts_next.rebuild_seen s
                                 WHERE s.event_id = e.event_id)"""
        )
        if missed:
            await _project_chunk(conn, list(missed))
        await conn.execute("DROP TABLE facts_next.rebuild_seen")
        await conn.execute("DROP SCHEMA IF EXISTS facts CASCADE")
        await conn.execute("ALTER SCHEMA facts_next RENAME TO facts")
    return len(missed)


async def rebuild(
    conn: asyncpg.Connection, *, chunk_size: int = 20_000, progress: Progress | None = None
) -> int:
    """Re-project every event of `event_log` into fresh fact tables; returns events seen.

    Must not run inside a transaction: each chunk commits on its own.
    """
    await _prepare_shadow(conn)
    total = await conn.fetchval("SELECT count(*) FROM event_log")
    done, last_seq = 0, 0
    while True:
        rows = await conn.fetch(
            """SELECT ingest_seq, event_id, envelope::text AS envelope FROM event_log
               WHERE ingest_seq > $1 ORDER BY ingest_seq LIMIT $2""",
            last_seq, chunk_size,
        )
        if not rows:
            break
        async with conn.transaction():
            await _project_chunk(conn, list(rows))
        last_seq = rows[-1]["ingest_seq"]
        done += len(rows)
        if progress is not None:
            progress(done, max(total, done))
    done += await _swap(conn)
    return done
