"""`polku replay`: rebuild from event_log while the old projections answer; re-read topics."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
from typer.testing import CliRunner

from polku.cli import app
from services.reporting.indicators import EXACT, DemoOrgLookup, compute
from services.reporting.projections import project
from services.reporting.projections.keys import RecordKeys, keyed_with
from services.reporting.replay import replay
from services.runtime.kafka_clients import KafkaConnection
from services.runtime.migrate import apply_migrations
from tests.e2e.reporting.support import Pathways, publish

LATER = datetime(2030, 1, 1, tzinfo=UTC)
QUERIES = (("exit_destinations", ["region"]), ("days_to_assessment", []),
           ("work_ability_change", ["phase"]))


def history(year: int, clients: int) -> Pathways:
    p = Pathways()
    for i in range(clients):
        on = date(year, 1, 1) + timedelta(days=i % 300)
        client = p.client(on=str(on))
        case = p.accept(p.referral(client, str(on)), client, str(on + timedelta(days=1)))
        p.assessment(client, on + timedelta(days=2 + i % 9))
        p.score(client, str(on + timedelta(days=2)), "baseline", i % 5)
        p.score(client, str(on + timedelta(days=40)), "end", i % 5 + i % 4)
        p.close(case, client, str(on + timedelta(days=50)), ("employment", "education")[i % 2])
    return p


async def answers(conn: asyncpg.Connection, year: int) -> list[list[dict[str, Any]]]:
    return [
        (await compute(conn, indicator, date_from=date(year, 1, 1), date_to=date(year, 12, 31),
                       group_by=group_by, as_of=LATER, orgs=DemoOrgLookup(),
                       disclosure=EXACT))["rows"]
        for indicator, group_by in QUERIES
    ]

KEYS = RecordKeys.of("replay-test-key")


@contextlib.asynccontextmanager
async def projected(database_url: str, p: Pathways
                    ) -> AsyncIterator[tuple[asyncpg.Connection, asyncpg.Connection]]:
    """The database migrated and `p` projected; a connection, and a second one to read."""
    conn = await asyncpg.connect(database_url)
    reader = await asyncpg.connect(database_url)
    try:
        await apply_migrations(conn, "services.runtime", "services.reporting")
        async with conn.transaction():
            await project(conn, p.envelopes)
        yield conn, reader
    finally:
        await reader.close()
        await conn.close()


async def test_rebuild_gives_identical_rows_while_the_old_projections_answer(
    database_url: str,
) -> None:
    p = history(2016, 300)
    async with projected(database_url, p) as (conn, reader):
        before = await answers(conn, 2016)
        assert before[0] and before[1][0]["n"] == 300
        phases: list[tuple[str, int, int]] = []
        rebuilding = asyncio.create_task(replay(
            database_url, chunk_size=40, progress=lambda *step: phases.append(step)))
        answered_mid_rebuild = 0
        while not rebuilding.done():
            shadow = await reader.fetchval(
                "SELECT count(*) FROM pg_namespace WHERE nspname = 'facts_next'")
            assert await answers(reader, 2016) == before
            answered_mid_rebuild += bool(shadow) and not rebuilding.done()
        result = rebuilding.result()
        assert answered_mid_rebuild > 0
        assert result.rebuilt == len(p.envelopes)
        assert phases[-1] == ("rebuild", len(p.envelopes), len(p.envelopes))
        assert await answers(reader, 2016) == before
        assert await conn.fetchval("SELECT events FROM projection_position") == len(p.envelopes)
        # Rebuilt without record keys: they are not marked as any key's (projections/keys.py).
        assert await keyed_with(conn) is None
        # `polku replay` passes the service's keys: every row rebuilt keyed, and marked.
        await replay(database_url, chunk_size=40, keys=KEYS)
        assert await keyed_with(conn) == KEYS.fingerprint
        assert await conn.fetchval(
            "SELECT count(*) FROM facts.cases_opened WHERE client_key IS DISTINCT FROM "
            "(SELECT record_key FROM record_key_units WHERE unit = client_id)") == 0
        assert await answers(reader, 2016) == before


_SWAP_WAITS = """SELECT l.relation::regclass::text FROM pg_locks l
    JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'facts' AND l.mode = 'AccessExclusiveLock' AND l.pid <> $1
      AND l.granted = $2"""


async def test_a_query_halfway_through_its_tables_is_not_failed_by_the_swap(
    database_url: str,
) -> None:
    # A query holds one facts table while the rebuild's swap waits for it, then asks for
    # a table the swap has taken: that is a deadlock unless the swap gives way.
    p = history(2018, 20)
    async with projected(database_url, p) as (conn, reader):
        held = await reader.fetch(
            "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n"
            " ON n.oid = c.relnamespace WHERE n.nspname = 'facts' AND c.relkind = 'r'"
            " ORDER BY c.oid DESC LIMIT 1")
        async with reader.transaction():
            # The query's first table; the swap takes the others, then waits for it.
            await reader.execute(f"SELECT count(*) FROM {held[0][0]}")
            rebuilding = asyncio.create_task(replay(database_url, chunk_size=40))
            pid = reader.get_server_pid()
            async with asyncio.timeout(60):
                while not await conn.fetch(_SWAP_WAITS, pid, False):
                    await asyncio.sleep(0.005)
            taken = await conn.fetch(_SWAP_WAITS, pid, True)
            assert taken
            # The query asks for a table the swap has taken: the swap gives way.
            assert await reader.fetchval(f"SELECT count(*) FROM {taken[0][0]}") >= 0
        result = await rebuilding
        assert result.rebuilt == len(p.envelopes)
        assert await answers(reader, 2018) == await answers(conn, 2018)


async def test_replay_from_topics_fills_an_empty_event_log(
    database_url: str, second_url: str, kafka_bootstrap: str
) -> None:
    p = history(2017, 6)
    await publish(kafka_bootstrap, p.envelopes)
    result = await replay(database_url, from_topics=True, kafka=KafkaConnection(kafka_bootstrap))
    assert result.read >= len(p.envelopes) and result.rebuilt >= len(p.envelopes)
    conn = await asyncpg.connect(database_url)
    reference = await asyncpg.connect(second_url)
    try:
        assert await conn.fetchval(
            "SELECT count(*) FROM event_log WHERE event_id = ANY($1::uuid[])", p.ids
        ) == len(p.envelopes)
        await apply_migrations(reference, "services.runtime", "services.reporting")
        async with reference.transaction():
            await project(reference, p.envelopes)
        assert await answers(conn, 2017) == await answers(reference, 2017)
        again = await replay(database_url, from_topics=True, kafka=KafkaConnection(kafka_bootstrap))
        assert again.new == 0
    finally:
        await reference.close()
        await conn.close()


def test_polku_replay_command(database_url: str) -> None:
    outcome = CliRunner().invoke(app, ["replay"], env={"DATABASE_URL": database_url,
                                                       "REPORTING_DATABASE_URL": ""})
    assert outcome.exit_code == 0, outcome.output
    assert "rebuilt reporting projections from 0 events" in outcome.output


async def test_replay_from_topics_completes_a_partial_event_log(
    database_url: str, second_url: str, kafka_bootstrap: str
) -> None:
    p = history(2018, 12)
    await publish(kafka_bootstrap, p.envelopes)
    half = len(p.envelopes) // 2
    conn = await asyncpg.connect(database_url)
    reference = await asyncpg.connect(second_url)
    try:
        await apply_migrations(conn, "services.runtime", "services.reporting")
        async with conn.transaction():  # what the live consumer had logged before
            await project(conn, p.envelopes[:half])
        result = await replay(database_url, from_topics=True,
                              kafka=KafkaConnection(kafka_bootstrap))
        assert result.new >= len(p.envelopes) - half
        ours = await conn.fetch(
            "SELECT event_id FROM event_log WHERE event_id = ANY($1::uuid[])", p.ids)
        assert len(ours) == len(p.envelopes)
        await apply_migrations(reference, "services.runtime", "services.reporting")
        async with reference.transaction():
            await project(reference, p.envelopes)
        assert await answers(conn, 2018) == await answers(reference, 2018)
        # Each event once in the new facts: as many fact rows as event_log has events.
        assert await conn.fetchval(
            "SELECT count(*) FROM facts.clients WHERE event_id = ANY($1::uuid[])", p.ids
        ) == await conn.fetchval(
            "SELECT count(*) FROM event_log WHERE type = 'ClientRegistered' "
            "AND event_id = ANY($1::uuid[])", p.ids) == 12
        assert await conn.fetchval("SELECT events FROM projection_position") == \
            await conn.fetchval("SELECT count(*) FROM event_log")
    finally:
        await reference.close()
        await conn.close()
