"""Several replicas of one service: one relay publishes, a standby takes over."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from services.runtime.eventstore import PostgresEventStore
from services.runtime.relay import Relay
from services.runtime.service import make_broker
from services.runtime.settings import ServiceSettings
from tests.integration.runtime.support import (
    append_contacts,
    migrated_pool,
    topic_messages,
    wait_for,
)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await migrated_pool(database_url)
    yield pool
    await pool.close()


async def test_one_relay_publishes_per_service_and_a_standby_takes_over(
    pool: asyncpg.Pool, database_url: str, kafka_bootstrap: str, new_topic: str
) -> None:
    # Two replicas of one service: pools and brokers of their own, one database, one topic.
    pools = [pool, await migrated_pool(database_url)]
    settings = ServiceSettings(kafka_bootstrap_servers=kafka_bootstrap)
    brokers = [make_broker(settings, f"replica-{i}") for i in range(2)]
    relays = [Relay(name="svc", pool=p, broker=b, topic=new_topic, batch_size=50,
                    standby_seconds=0.2) for p, b in zip(pools, brokers, strict=True)]
    store = PostgresEventStore(pool)
    for b in brokers:
        await b.connect()
    tasks = [asyncio.create_task(r.run()) for r in relays]

    async def published(n: int) -> bool:
        return sum(r.published for r in relays) >= n

    async def one_leads() -> bool:
        return sum(r.leading for r in relays) == 1

    async def checkpoint_at_end(pool: asyncpg.Pool) -> bool:
        return bool(await pool.fetchval(
            """SELECT (SELECT position FROM relay_checkpoints WHERE name = 'svc')
                      = (SELECT max(position) FROM events)"""))

    try:
        await wait_for(one_leads, what="a leader")
        await append_contacts(store, uuid.uuid4(), uuid.uuid4(), count=300, expected_version=0)
        await wait_for(lambda: published(300), what="300 published")
        leader = next(i for i, r in enumerate(relays) if r.leading)
        standby = relays[1 - leader]
        assert (relays[leader].published, standby.published) == (300, 0)
        assert not standby.leading

        # The leader's replica stops: the standby takes over from the stored checkpoint.
        tasks[leader].cancel()
        await asyncio.gather(tasks[leader], return_exceptions=True)
        await append_contacts(store, uuid.uuid4(), uuid.uuid4(), count=200, expected_version=0)
        await wait_for(lambda: published(500), what="500 published")
        assert standby.leading and standby.published == 200

        # The new leader loses its database session: a relay (the restarted replica or
        # the old leader, reconnected) leads again and nothing is lost.
        tasks[leader] = asyncio.create_task(relays[leader].run())
        await pool.execute(
            """SELECT pg_terminate_backend(pid) FROM pg_locks
               WHERE locktype = 'advisory' AND granted
                 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())""")
        await append_contacts(store, uuid.uuid4(), uuid.uuid4(), count=100, expected_version=0)
        await wait_for(lambda: checkpoint_at_end(pool), what="all 600 published")
        await wait_for(one_leads, what="one leader again")
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for b in brokers:
            await b.stop()
        await pools[1].close()

    ids = [m[2]["id"] for m in await topic_messages(kafka_bootstrap, new_topic)]
    assert len(set(ids)) == 600
    assert len(ids) - 600 <= 50, "at most the batch in flight at the change is sent twice"
