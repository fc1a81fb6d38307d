"""The local stack gives real servers: messages go through the broker, databases answer SQL,
a broker restart keeps topics and messages, and a missing JDK or Maven is explained."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from polku.infra import Infrastructure
from polku.stack import EmbeddedKafka, StackError


@pytest.fixture
def scratch() -> Iterator[Path]:
    """A temporary directory removed right after the test (pytest's tmp_path lingers)."""
    with tempfile.TemporaryDirectory(prefix="polku-test-") as path:
        yield Path(path)


async def _produce(bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for key, value in messages:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def _consume(bootstrap: str, topic: str, count: int) -> list[tuple[bytes, bytes]]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"test-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    received: list[tuple[bytes, bytes]] = []
    try:
        while len(received) < count:
            batch = await consumer.getmany(timeout_ms=10_000)
            assert batch, f"no message within 10 s; got {len(received)} of {count}"
            received += [(m.key, m.value) for records in batch.values() for m in records]
    finally:
        await consumer.stop()
    return received


async def test_a_message_goes_through_the_broker(kafka_bootstrap: str, new_topic: str) -> None:
    await _produce(kafka_bootstrap, new_topic, [(b"client-1", b"hello")])

    assert await _consume(kafka_bootstrap, new_topic, 1) == [(b"client-1", b"hello")]


async def test_a_created_database_answers_queries(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("CREATE TABLE note (id int PRIMARY KEY, body text)")
        await conn.execute("INSERT INTO note VALUES (1, 'polku')")
        assert await conn.fetchval("SELECT body FROM note WHERE id = 1") == "polku"
        assert await conn.fetchval("SELECT current_database()") == database_url.rsplit("/", 1)[1]
    finally:
        await conn.close()


def test_database_url_is_idempotent(infra: Infrastructure) -> None:
    name = f"test_{uuid.uuid4().hex[:12]}"
    assert infra.database_url(name) == infra.database_url(name)


@pytest.mark.slow
async def test_broker_restart_keeps_topics_and_messages(infra: Infrastructure) -> None:
    if infra.kind != "embedded":
        # Env or container brokers are not ours to restart; the stack says so.
        with pytest.raises(StackError, match="not ours to restart"):
            infra.restart_kafka()
        return
    topic = f"test.restart.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    finally:
        await admin.close()
    sent = [(f"client-{i}".encode(), f"event-{i}".encode()) for i in range(20)]
    await _produce(infra.kafka_bootstrap, topic, sent)

    infra.restart_kafka()

    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
    await admin.start()
    try:
        assert topic in await admin.list_topics()
    finally:
        await admin.close()
    assert sorted(await _consume(infra.kafka_bootstrap, topic, len(sent))) == sorted(sent)


async def test_one_clients_events_share_a_partition(kafka_bootstrap: str, new_topic: str) -> None:
    # Keyed by client: one client's events stay in one partition, in order.
    await _produce(kafka_bootstrap, new_topic, [(b"client-7", b"%d" % i) for i in range(5)])
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(new_topic, p) for p in range(3)]
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    assert sorted(ends.values()) == [0, 0, 5]


def test_missing_java_is_explained(scratch: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    kafka = EmbeddedKafka(scratch, port=0)

    with pytest.raises(StackError) as failure:
        kafka.start()

    assert "JDK 17" in str(failure.value)
    assert "KAFKA_BOOTSTRAP_SERVERS" in str(failure.value)
    assert not kafka.running


def test_missing_maven_is_explained(scratch: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    java = next(
        (
            Path(d) / "java"
            for d in os.environ["PATH"].split(os.pathsep)
            if (Path(d) / "java").exists()
        ),
        None,
    )
    assert java is not None, "this test needs java on PATH (the stack itself does)"
    only_java = scratch / "bin"
    only_java.mkdir()
    (only_java / "java").symlink_to(java.resolve())
    monkeypatch.setenv("PATH", str(only_java))
    kafka = EmbeddedKafka(scratch / "state", port=0, lib_dir=scratch / "no-jars-yet")

    with pytest.raises(StackError) as failure:
        kafka.start()

    assert "Maven" in str(failure.value)
    assert "KAFKA_BOOTSTRAP_SERVERS" in str(failure.value)
