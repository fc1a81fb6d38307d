"""CloudEvents binary content mode on a real topic: a partner's binary-mode records are read
by a real consumer beside structured ones, malformed ones go to the dead-letter topic with
their reason, and a dead-lettered binary record keeps its `ce_` headers, so that replaying it
gives the same event."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker

from contracts.envelope import Envelope
from contracts.topics import dlq_topic
from services.runtime.consumer import BatchConsumer, ConsumerSpec
from services.runtime.dlq import read_dead_letters, replay_dead_letters
from services.runtime.eventstore import PostgresEventStore
from services.runtime.kafka_clients import KafkaConnection
from services.runtime.service import make_broker
from services.runtime.settings import ServiceSettings
from services.runtime.topics import ensure_topics
from tests.integration.runtime.support import (
    append_contacts,
    migrated_pool,
    record_effects,
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


def binary_mode(envelope: Envelope, **headers: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The record of `envelope` in binary mode: (value, headers), as a partner sends it."""
    attributes = {k: v for k, v in envelope.to_dict().items()
                  if k not in ("data", "datacontenttype")}
    made = {f"ce_{k}": str(v).encode() for k, v in attributes.items()}
    made = {**made, "content-type": b"application/json", **headers}
    return json.dumps(envelope.data).encode(), list(made.items())


async def effects(pool: asyncpg.Pool) -> list[tuple[uuid.UUID, str, int]]:
    rows = await pool.fetch("SELECT event_id, stream_id, version FROM effects ORDER BY version")
    return [(r["event_id"], r["stream_id"], r["version"]) for r in rows]


async def test_binary_and_structured_records_are_consumed_and_bad_ones_dead_lettered(
    pool: asyncpg.Pool, broker: KafkaBroker, new_topic: str, kafka_bootstrap: str
) -> None:
    store = PostgresEventStore(pool)
    engagement = uuid.uuid4()
    await append_contacts(store, engagement, uuid.uuid4(), count=4, expected_version=0)
    envelopes = [Envelope.model_validate_json(e.envelope)
                 for e in await store.read_from_position(1, 10)]
    structured, binary, replayed, malformed = envelopes
    failing = {replayed.id}  # the handler fails on it until the test mends it

    async def handler(conn: asyncpg.Connection, batch: list) -> None:  # type: ignore[type-arg]
        if failing & {e.event_id for e in batch}:
            raise RuntimeError("cannot apply this one yet")
        await record_effects(conn, batch)

    spec = ConsumerSpec(name=f"test-{uuid.uuid4().hex[:8]}", topics=(new_topic,),
                        subscribed_types=frozenset({"EmployerContacted"}), handler=handler)
    kafka = KafkaConnection(kafka_bootstrap)
    await ensure_topics(kafka, [dlq_topic(spec.name)], partitions=1)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            new_topic, structured.to_json_bytes(), key=b"k",
            headers=[("content-type", b"application/cloudevents+json")])
        for envelope, extra in ((binary, {"ce_importbatch": b"partner-batch-1"}),
                                (replayed, {}), (malformed, {"ce_dataversion": b"two"})):
            value, headers = binary_mode(envelope, **extra)
            await producer.send_and_wait(new_topic, value, key=b"k", headers=headers)
    finally:
        await producer.stop()
    BatchConsumer(spec, pool=pool, broker=broker, retries=1, backoff=0.01)
    await broker.start()
    try:
        async def dead_lettered(count: int) -> bool:
            return len(await read_dead_letters(kafka, [spec.name])) >= count

        await wait_for(lambda: dead_lettered(2), what="two dead letters", timeout=60)
        subject = f"engagement:{engagement}"
        assert await effects(pool) == [(structured.id, subject, 1), (binary.id, subject, 2)]
        letters = {letter.event_id: letter for letter in
                   await read_dead_letters(kafka, [spec.name])}
        assert set(letters) == {str(replayed.id), str(malformed.id)}
        bad = letters[str(malformed.id)].headers
        assert bad["dlq-reason"] == "unparseable"
        assert bad["dlq-detail"].startswith("binary mode: ") and "dataversion" in bad["dlq-detail"]
        kept = dict(letters[str(replayed.id)].original_headers())
        assert kept["ce_id"] == str(replayed.id).encode()
        assert kept["content-type"] == b"application/json"
        assert not any(name.startswith("dlq-") for name in kept)

        failing.clear()
        assert await replay_dead_letters(kafka, spec.name) == 2

        async def replayed_applied() -> bool:
            return len(await effects(pool)) == 3

        await wait_for(replayed_applied, what="the replayed binary record applied", timeout=60)
        assert await effects(pool) == [(structured.id, subject, 1), (binary.id, subject, 2),
                                       (replayed.id, subject, 3)]
    finally:
        await broker.stop()
