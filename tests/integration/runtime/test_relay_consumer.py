"""Relay and consumer kit against the real broker and database: nothing lost, skipped or
applied twice, under concurrency, redelivery, poison messages, crashes and broker restarts."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from faststream.kafka import KafkaBroker

from contracts.topics import dlq_topic
from services.runtime.consumer import BatchConsumer, ConsumerSpec
from services.runtime.eventstore import PostgresEventStore, StoredEvent
from services.runtime.kafka_clients import KafkaConnection
from services.runtime.relay import Relay, republish
from services.runtime.service import make_broker
from services.runtime.settings import ServiceSettings
from services.runtime.topics import delete_topics, ensure_topics
from tests.integration.runtime.support import (
    append_contacts,
    effects_consumer,
    migrated_pool,
    record_effects,
    topic_messages,
    wait_for,
)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await migrated_pool(database_url)
    yield pool
    await pool.close()


@pytest.fixture
def broker(kafka_bootstrap: str) -> KafkaBroker:
    return make_broker(ServiceSettings(kafka_bootstrap_servers=kafka_bootstrap), "test")


async def effect_count(pool: asyncpg.Pool) -> tuple[int, int]:
    row = await pool.fetchrow("SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM effects")
    return row["n"], row["d"]


async def test_concurrent_writers_every_event_once_in_stream_order(
    pool: asyncpg.Pool, broker: KafkaBroker, new_topic: str, kafka_bootstrap: str
) -> None:
    store = PostgresEventStore(pool)
    BatchConsumer(effects_consumer(new_topic), pool=pool, broker=broker)
    relay = Relay(name="t", pool=pool, broker=broker, topic=new_topic, batch_size=300)
    await broker.start()
    relay_task = asyncio.create_task(relay.run())
    client = uuid.uuid4()
    streams = [uuid.uuid4() for _ in range(8)]

    async def writer(engagement: uuid.UUID) -> None:
        for version in range(500):
            await append_contacts(store, engagement, client, count=1, expected_version=version)

    try:
        await asyncio.gather(*(writer(s) for s in streams))
        await wait_for(lambda: _effects_reach(pool, 4000), what="4000 effects", timeout=120)
    finally:
        relay_task.cancel()
        await broker.stop()

    assert await effect_count(pool) == (4000, 4000)
    messages = await topic_messages(kafka_bootstrap, new_topic)
    ids = [m[2]["id"] for m in messages]
    assert len(ids) == 4000 and len(set(ids)) == 4000
    for stream in streams:
        ordered = sorted(
            (m for m in messages if m[2]["subject"] == f"engagement:{stream}"),
            key=lambda m: (m[0], m[1]),
        )
        assert len({m[0] for m in ordered}) == 1, "one key, one partition"
        assert [m[2]["streamversion"] for m in ordered] == list(range(1, 501))


async def _effects_reach(pool: asyncpg.Pool, n: int) -> bool:
    return (await effect_count(pool))[1] >= n


async def test_duplicate_delivery_applies_effects_once(
    pool: asyncpg.Pool, broker: KafkaBroker, new_topic: str, kafka_bootstrap: str
) -> None:
    store = PostgresEventStore(pool)
    await append_contacts(store, uuid.uuid4(), uuid.uuid4(), count=5, expected_version=0)
    events = await store.read_from_position(1, 100)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for _ in range(2):  # the whole batch, delivered twice
            for e in events:
                await producer.send_and_wait(new_topic, e.envelope.encode(), key=b"k")
    finally:
        await producer.stop()
    consumer = BatchConsumer(effects_consumer(new_topic), pool=pool, broker=broker)
    await broker.start()
    try:
        await wait_for(lambda: _offsets_reach(pool, consumer.spec.name, 10), what="offsets")
    finally:
        await broker.stop()
    assert await effect_count(pool) == (5, 5)


async def _offsets_reach(pool: asyncpg.Pool, name: str, n: int) -> bool:
    total = await pool.fetchval(
        "SELECT coalesce(sum(next_offset), 0) FROM consumer_offsets WHERE consumer = $1", name
    )
    return int(total) >= n


async def test_poison_messages_go_to_the_dead_letter_topic_and_the_rest_is_applied(
    pool: asyncpg.Pool, broker: KafkaBroker, new_topic: str, kafka_bootstrap: str
) -> None:
    store = PostgresEventStore(pool)
    await append_contacts(store, uuid.uuid4(), uuid.uuid4(), count=2, expected_version=0)
    good = [json.loads(e.envelope) for e in await store.read_from_position(1, 10)]
    unknown_version = {**good[0], "id": str(uuid.uuid4()), "dataversion": 99}
    invalid = {**good[0], "id": str(uuid.uuid4()),
               "data": {**good[0]["data"], "purpose": "not-a-purpose"}}
    unsubscribed = {**good[0], "id": str(uuid.uuid4()), "type": "SomethingNew"}
    sequence = [json.dumps(good[0]).encode(), b"{not json", json.dumps(unknown_version).encode(),
                json.dumps(unsubscribed).encode(), json.dumps(invalid).encode(),
                json.dumps(good[1]).encode()]
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for value in sequence:
            await producer.send_and_wait(new_topic, value, key=b"same-key")
    finally:
        await producer.stop()

    spec = effects_consumer(new_topic)
    await ensure_topics(KafkaConnection(kafka_bootstrap), [dlq_topic(spec.name)], partitions=1)
    BatchConsumer(spec, pool=pool, broker=broker)
    await broker.start()
    try:
        await wait_for(lambda: _offsets_reach(pool, spec.name, 6), what="all six consumed")
    finally:
        await broker.stop()

    assert await effect_count(pool) == (2, 2)
    letters = await topic_messages_raw(kafka_bootstrap, dlq_topic(spec.name))
    assert sorted(h["dlq-reason"] for h, _ in letters) == [
        "schema-invalid", "unknown-type", "unparseable"]
    for headers, _ in letters:
        assert headers["dlq-topic"] == new_topic
        assert {"dlq-partition", "dlq-offset"} <= headers.keys()


async def topic_messages_raw(bootstrap: str, topic: str) -> list[tuple[dict[str, str], bytes]]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False)
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=5000)
        return [({k: v.decode() for k, v in r.headers}, r.value)
                for records in batch.values() for r in records]
    finally:
        await consumer.stop()


class Crash(Exception):
    pass


async def test_relay_crash_between_publish_and_checkpoint_duplicates_only_on_the_topic(
    pool: asyncpg.Pool, broker: KafkaBroker, new_topic: str, kafka_bootstrap: str
) -> None:
    store = PostgresEventStore(pool)
    await append_contacts(store, uuid.uuid4(), uuid.uuid4(), count=20, expected_version=0)

    async def crash(_: list[StoredEvent]) -> None:
        raise Crash

    await broker.connect()
    crashing = Relay(name="r", pool=pool, broker=broker, topic=new_topic, before_checkpoint=crash)
    with pytest.raises(Crash):
        await crashing.run_once(await crashing.checkpoint())
    restarted = Relay(name="r", pool=pool, broker=broker, topic=new_topic)
    _, sent = await restarted.run_once(await restarted.checkpoint())
    assert sent == 20
    assert len(await topic_messages(kafka_bootstrap, new_topic)) == 40

    consumer = BatchConsumer(effects_consumer(new_topic), pool=pool, broker=broker)
    await broker.start()
    try:
        await wait_for(lambda: _offsets_reach(pool, consumer.spec.name, 40), what="consumed")
    finally:
        await broker.stop()
    assert await effect_count(pool) == (20, 20)


async def test_deleted_topic_is_refilled_by_republish(
    pool: asyncpg.Pool, kafka_bootstrap: str, new_topic: str
) -> None:
    settings = ServiceSettings(kafka_bootstrap_servers=kafka_bootstrap)
    store = PostgresEventStore(pool)
    client = uuid.uuid4()
    await append_contacts(store, uuid.uuid4(), client, count=30, expected_version=0)
    name = f"test-{uuid.uuid4().hex[:8]}"

    async def run_until(n: int) -> None:
        broker = make_broker(settings, "test")
        relay = Relay(name="r", pool=pool, broker=broker, topic=new_topic)
        BatchConsumer(effects_consumer(new_topic, name), pool=pool, broker=broker)
        await broker.start()
        task = asyncio.create_task(relay.run())
        try:
            await wait_for(lambda: _effects_reach(pool, n), what=f"{n} effects")
        finally:
            task.cancel()
            await broker.stop()

    await run_until(30)
    before = await pool.fetch("SELECT event_id FROM effects ORDER BY event_id")

    await delete_topics(KafkaConnection(kafka_bootstrap), [new_topic])
    await asyncio.sleep(1.0)
    await ensure_topics(KafkaConnection(kafka_bootstrap), [new_topic], partitions=3)
    broker = make_broker(settings, "republish")
    await broker.connect()
    try:
        assert await republish(pool=pool, broker=broker, topic=new_topic, from_position=1) == 30
    finally:
        await broker.stop()
    assert len(await topic_messages(kafka_bootstrap, new_topic)) == 30

    await append_contacts(store, uuid.uuid4(), client, count=5, expected_version=0)
    await run_until(35)
    after = await pool.fetch("SELECT event_id FROM effects ORDER BY event_id")
    assert await effect_count(pool) == (35, 35)
    assert {r["event_id"] for r in before} <= {r["event_id"] for r in after}


@pytest.mark.slow
async def test_broker_restart_under_running_relay_and_consumer_loses_nothing(
    pool: asyncpg.Pool, broker: KafkaBroker, new_topic: str, infra
) -> None:
    if infra.local_stack is None:
        pytest.skip("restarting the broker needs the embedded stack")
    store = PostgresEventStore(pool)
    BatchConsumer(effects_consumer(new_topic), pool=pool, broker=broker)
    relay = Relay(name="r", pool=pool, broker=broker, topic=new_topic)
    await broker.start()
    relay_task = asyncio.create_task(relay.run())
    client = uuid.uuid4()
    engagement = uuid.uuid4()
    try:
        await append_contacts(store, engagement, client, count=50, expected_version=0)
        await wait_for(lambda: _effects_reach(pool, 50), what="50 effects before restart")
        await asyncio.to_thread(infra.restart_kafka)
        await append_contacts(store, engagement, client, count=50, expected_version=50)
        await wait_for(lambda: _effects_reach(pool, 100), what="100 effects", timeout=120)

        # A batch the broker took but did not confirm across the restart reaches the
        # consumer before the relay, retrying from its checkpoint, has sent and counted it.
        async def all_confirmed() -> bool:
            return relay.published >= 100

        await wait_for(all_confirmed, what="the relay's confirmation of all 100")
    finally:
        relay_task.cancel()
        await broker.stop()
    assert await effect_count(pool) == (100, 100)
    assert relay.published >= 100
    assert datetime.now(UTC)  # the run ended by itself, no hang


async def test_failing_handler_is_retried_then_only_the_bad_event_is_dead_lettered(
    pool: asyncpg.Pool, broker: KafkaBroker, new_topic: str, kafka_bootstrap: str
) -> None:
    store = PostgresEventStore(pool)
    await append_contacts(store, uuid.uuid4(), uuid.uuid4(), count=4, expected_version=0)
    events = await store.read_from_position(1, 10)
    poison = json.loads(events[2].envelope)["id"]
    attempts: list[int] = []

    async def handler(conn: asyncpg.Connection, batch: list) -> None:
        if any(str(e.event_id) == poison for e in batch):
            attempts.append(len(batch))
            raise RuntimeError("cannot apply this one")
        await record_effects(conn, batch)

    spec = ConsumerSpec(name=f"test-{uuid.uuid4().hex[:8]}", topics=(new_topic,),
                        subscribed_types=frozenset({"EmployerContacted"}), handler=handler)
    await ensure_topics(KafkaConnection(kafka_bootstrap), [dlq_topic(spec.name)], partitions=1)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for e in events:
            await producer.send_and_wait(new_topic, e.envelope.encode(), key=b"one-key")
    finally:
        await producer.stop()
    BatchConsumer(spec, pool=pool, broker=broker, retries=2, backoff=0.01)
    await broker.start()
    try:
        await wait_for(lambda: _offsets_reach(pool, spec.name, 4), what="batch consumed")
    finally:
        await broker.stop()

    assert len(attempts) >= 3, "the batch is retried before anything is dead-lettered"
    assert await effect_count(pool) == (3, 3)
    letters = await topic_messages_raw(kafka_bootstrap, dlq_topic(spec.name))
    assert [(h["dlq-reason"], json.loads(v)["id"]) for h, v in letters] == [
        ("handler-error", poison)]


async def test_database_outage_during_a_batch_rewinds_and_skips_nothing(
    pool: asyncpg.Pool, broker: KafkaBroker, new_topic: str, kafka_bootstrap: str
) -> None:
    store = PostgresEventStore(pool)
    await append_contacts(store, uuid.uuid4(), uuid.uuid4(), count=10, expected_version=0)
    failures = [ConnectionError("database went away")]

    async def handler(conn: asyncpg.Connection, batch: list) -> None:
        if failures:
            raise failures.pop()
        await record_effects(conn, batch)

    spec = ConsumerSpec(name=f"test-{uuid.uuid4().hex[:8]}", topics=(new_topic,),
                        subscribed_types=frozenset({"EmployerContacted"}), handler=handler)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for e in await store.read_from_position(1, 100):
            await producer.send_and_wait(new_topic, e.envelope.encode(), key=b"k")
    finally:
        await producer.stop()
    BatchConsumer(spec, pool=pool, broker=broker)
    await broker.start()
    try:
        await wait_for(lambda: _effects_reach(pool, 10), what="all ten after the outage")
    finally:
        await broker.stop()
    assert failures == [], "the outage happened"
    assert await effect_count(pool) == (10, 10)
