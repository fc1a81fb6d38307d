"""Shared pieces of the runtime tests: events to append and a consumer with visible effects."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg
from aiokafka import AIOKafkaConsumer

from contracts.codes import EmployerContactPurpose, Role
from contracts.events.coaching import EmployerContacted
from services.runtime.application import CommandMeta, Decision, stream_appends
from services.runtime.consumer import ConsumedEvent, ConsumerSpec
from services.runtime.eventstore import EventStore
from services.runtime.http import Principal
from services.runtime.migrate import apply_migrations

META = CommandMeta(
    principal=Principal(sub=str(uuid.uuid4()), org="kymenlaakso-sote", role=Role.JOB_COACH),
    correlation_id="test",
)


def contact(engagement_id: uuid.UUID, client_id: uuid.UUID) -> EmployerContacted:
    return EmployerContacted(
        engagement_id=engagement_id, client_id=client_id, employer_id="kymenlaakso-employer-1",
        purpose=EmployerContactPurpose.JOB_SEARCH, occurred_at=datetime.now(UTC),
    )


async def append_contacts(
    store: EventStore, engagement_id: uuid.UUID, client_id: uuid.UUID, *, count: int,
    expected_version: int,
) -> None:
    decision = Decision(
        events=[contact(engagement_id, client_id) for _ in range(count)],
        expected_versions={f"engagement:{engagement_id}": expected_version},
    )
    await store.append(stream_appends(decision, source="polku/coaching", meta=META))


async def migrated_pool(url: str) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(url, min_size=1, max_size=12)
    async with pool.acquire() as conn:
        await apply_migrations(conn, "services.runtime")
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS effects (
                   event_id uuid NOT NULL, stream_id text NOT NULL, version int NOT NULL,
                   topic_partition int NOT NULL, topic_offset bigint NOT NULL)"""
        )
    return pool


async def record_effects(conn: asyncpg.Connection, events: list[ConsumedEvent]) -> None:
    await conn.copy_records_to_table(
        "effects",
        records=[(e.event_id, e.envelope.subject, e.envelope.streamversion, e.partition, e.offset)
                 for e in events],
    )


def effects_consumer(topic: str, name: str | None = None) -> ConsumerSpec:
    return ConsumerSpec(
        name=name or f"test-{uuid.uuid4().hex[:8]}",
        topics=(topic,),
        subscribed_types=frozenset({"EmployerContacted"}),
        handler=record_effects,
    )


async def wait_for(
    predicate: Callable[[], Awaitable[bool]], *, timeout: float = 60.0, what: str = "condition"
) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.1)


async def topic_messages(bootstrap: str, topic: str) -> list[tuple[int, int, dict]]:
    """Every message on the topic: (partition, offset, envelope)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        for _ in range(100):
            tps = list(consumer.assignment())
            if tps:
                break
            await asyncio.sleep(0.1)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        out: list[tuple[int, int, dict]] = []
        while [tp for tp in tps if await consumer.position(tp) < end[tp]]:
            for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                out.extend((tp.partition, r.offset, json.loads(r.value)) for r in records)
        return out
    finally:
        await consumer.stop()
