"""Bounded growth against real PostgreSQL and Kafka: expired idempotency keys are new and go,
dedup state is pruned only where no redelivery can need it, read audit past its period is
deleted in batches, and every bounded table's size is a metric."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import ConsumerRecord
from fastapi import APIRouter

from contracts.commands.coaching import RecordFidelityReview
from contracts.events.coaching import FidelityReviewRecorded
from services.runtime.application import Decision
from services.runtime.consumer import BatchConsumer
from services.runtime.eventstore import PostgresEventStore
from services.runtime.metrics import REGISTRY
from services.runtime.migrate import apply_migrations
from services.runtime.responses import respond
from services.runtime.retention import (
    RetentionPolicy,
    prune_processed_events,
    run_maintenance,
)
from services.runtime.service import Ctx, Meta, ServiceDefinition, make_broker
from services.runtime.settings import ServiceSettings
from tests.integration.runtime.support import (
    append_contacts,
    effects_consumer,
    migrated_pool,
    wait_for,
)
from tests.support.services import auth, running_service

router = APIRouter()


@router.post("/fidelity-reviews", status_code=201)
async def record(body: RecordFidelityReview, ctx: Ctx, meta: Meta):  # type: ignore[no-untyped-def]
    async def decide() -> Decision:
        review_id = uuid.uuid4()
        event = FidelityReviewRecorded(
            review_id=review_id, organisation_id=meta.principal.org,
            item_scores=body.item_scores, total=sum(body.item_scores.values()),
            occurred_at=body.occurred_at or datetime.now(UTC),
        )
        return Decision([event], {}, {"review_id": str(review_id)}, created=True)

    return respond(await ctx.bus.execute(meta, decide), "/fidelity-reviews/{review_id}")


SCORES = {str(i): 3 for i in range(1, 26)}


def sample(name: str, service: str, table: str) -> float | None:
    return REGISTRY.get_sample_value(name, {"service": service, "table": table})


async def test_an_expired_idempotency_key_is_new_and_the_maintenance_deletes_it(
    database_url: str, kafka_bootstrap: str
) -> None:
    name = f"retention-{uuid.uuid4().hex[:8]}"
    definition = ServiceDefinition(name=name, title="test", default_port=0, routers=[router])
    async with running_service(
        definition, database_url=database_url, kafka_bootstrap=kafka_bootstrap
    ) as svc, svc.client() as http:
        # The maintenance task started with the service and measured its tables.
        await wait_for(lambda: _measured(name), what="the first maintenance run")

        async def post(key: str) -> Any:
            headers = {**auth("kymenlaakso-ngo", "job_coach"), "Idempotency-Key": key}
            return await http.post("/fidelity-reviews", json={"item_scores": SCORES},
                                   headers=headers)

        first = {key: await post(key) for key in ("reused", "expired", "live")}
        assert all(r.status_code == 201 for r in first.values())
        pool = svc.ctx.pool
        await pool.execute(
            """UPDATE idempotency_keys SET created_at = now() - interval '7 days 1 minute'
               WHERE key = ANY($1::text[])""", ["reused", "expired"])
        await pool.execute("""UPDATE idempotency_keys SET created_at = now() - interval '6 days'
                              WHERE key = 'live'""")

        again = await post("reused")
        assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
        assert again.json()["review_id"] != first["reused"].json()["review_id"]
        replayed = await post("live")
        assert replayed.headers.get("Idempotent-Replayed") == "true"
        assert replayed.json() == first["live"].json()
        assert await pool.fetchval("SELECT count(*) FROM events") == 4

        deleted = await run_maintenance(pool, RetentionPolicy(batch_size=1), service=name)
        assert deleted.rows["idempotency_keys"] == 1
        assert deleted.statements["idempotency_keys"] == 2  # one row, then an empty batch
        kept = await pool.fetch("SELECT key FROM idempotency_keys ORDER BY key")
        assert [r["key"] for r in kept] == ["live", "reused"]
        assert (await post("reused")).headers.get("Idempotent-Replayed") == "true"

        metrics = (await http.get("/metrics")).text
    assert f'polku_table_rows{{service="{name}",table="idempotency_keys"}} 2.0' in metrics
    assert f'polku_table_rows{{service="{name}",table="processed_events"}} 0.0' in metrics
    assert f'polku_retention_deleted_total{{service="{name}",table="idempotency_keys"}} 1.0' \
        in metrics
    assert (sample("polku_table_bytes", name, "idempotency_keys") or 0) > 0


async def _measured(service: str) -> bool:
    return sample("polku_table_bytes", service, "idempotency_keys") is not None


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await migrated_pool(database_url)
    yield pool
    await pool.close()


async def test_pruning_keeps_what_redelivery_needs_and_a_redelivered_batch_changes_nothing(
    pool: asyncpg.Pool, new_topic: str, kafka_bootstrap: str
) -> None:
    store = PostgresEventStore(pool)
    await append_contacts(store, uuid.uuid4(), uuid.uuid4(), count=30, expected_version=0)
    envelopes = [e.envelope.encode() for e in await store.read_from_position(1, 100)]
    await _send(kafka_bootstrap, new_topic, envelopes)
    spec = effects_consumer(new_topic)
    await _consume(pool, spec, kafka_bootstrap, until=30)

    placed = await pool.fetch(
        "SELECT topic, partition, topic_offset FROM processed_events WHERE consumer = $1",
        spec.name)
    assert sorted(r["topic_offset"] for r in placed) == list(range(30))
    assert {(r["topic"], r["partition"]) for r in placed} == {
        (new_topic, await _partition(pool, spec.name))}
    # Offsets 0..24 were processed long ago, 25..29 just now. Beside them: rows of a consumer
    # with no stored offsets, and rows written before positions were recorded.
    await pool.execute("""UPDATE processed_events SET processed_at = now() - interval '100 days'
                          WHERE consumer = $1 AND topic_offset < 25""", spec.name)
    await pool.execute(
        """INSERT INTO processed_events (consumer, event_id, processed_at, topic, partition,
                                         topic_offset)
           VALUES ('gone', gen_random_uuid(), now() - interval '100 days', $1, 0, 0),
                  ('legacy', gen_random_uuid(), now() - interval '100 days', NULL, NULL, NULL),
                  ('legacy', gen_random_uuid(), now() - interval '10 days', NULL, NULL, NULL)""",
        new_topic)

    policy = RetentionPolicy(dedup_min_age=timedelta(days=90), dedup_offset_window=10,
                             batch_size=7)
    rows, statements = await prune_processed_events(pool, policy)
    assert (rows, statements) == (21, 4)  # placed: 7 + 7 + 6; written before positions: 1
    kept = await pool.fetch("SELECT consumer, topic_offset, processed_at FROM processed_events")
    assert sorted(r["topic_offset"] for r in kept if r["consumer"] == spec.name) == list(
        range(20, 30)), "offsets 20..24 are old but inside the redelivery window"
    assert sorted(r["consumer"] for r in kept if r["consumer"] != spec.name) == [
        "gone", "legacy"]

    # A batch from the group's own offsets, as aiokafka can hand one over before the
    # listener has sought to the stored ones: below the stored offset, every record was
    # applied already, though pruning forgot the ids of offsets 0..19.
    partition = await _partition(pool, spec.name)
    early = [ConsumerRecord(topic=new_topic, partition=partition, offset=offset, timestamp=0,
                            timestamp_type=0, key=b"one-client", value=value, checksum=None,
                            serialized_key_size=10, serialized_value_size=len(value),
                            headers=[]) for offset, value in enumerate(envelopes)]
    broker = make_broker(ServiceSettings(kafka_bootstrap_servers=kafka_bootstrap), "test")
    await BatchConsumer(spec, pool=pool, broker=broker).process(early)
    assert await pool.fetchval("SELECT count(*) FROM effects") == 30

    # The relay re-sends its last batch (offsets 20..29 again, at 30..39), and the broker
    # forgets the group's offsets: the consumer resumes at the offsets it stored and
    # ignores the re-sent events, whose rows pruning kept.
    await _forget_group_offsets(kafka_bootstrap, new_topic, f"polku-{spec.name}")
    await _send(kafka_bootstrap, new_topic, envelopes[20:])
    duplicates = _duplicates(spec.name)
    await _consume(pool, spec, kafka_bootstrap, until=40)
    row = await pool.fetchrow("SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM effects")
    assert (row["n"], row["d"]) == (30, 30)
    assert _duplicates(spec.name) - duplicates == 10
    assert await pool.fetchval(
        "SELECT count(*) FROM processed_events WHERE consumer = $1", spec.name) == 10


async def test_a_partition_shorter_than_its_stored_offset_is_read_again_from_its_start(
    pool: asyncpg.Pool, new_topic: str, kafka_bootstrap: str
) -> None:
    """A recreated topic: its records start again below the offsets stored for it. They are
    new, so none may be skipped as applied."""
    store = PostgresEventStore(pool)
    await append_contacts(store, uuid.uuid4(), uuid.uuid4(), count=12, expected_version=0)
    envelopes = [e.envelope.encode() for e in await store.read_from_position(1, 100)]
    await _send(kafka_bootstrap, new_topic, envelopes)
    spec = effects_consumer(new_topic)
    await pool.execute(
        """INSERT INTO consumer_offsets (consumer, topic, partition, next_offset)
           SELECT $1, $2, p, 500 FROM generate_series(0, 2) p""", spec.name, new_topic)
    await _consume(pool, spec, kafka_bootstrap, until=12, effects=True)
    assert await pool.fetchval("SELECT count(*) FROM effects") == 12
    assert [r["next_offset"] for r in await pool.fetch(
        "SELECT next_offset FROM consumer_offsets WHERE consumer = $1 ORDER BY next_offset DESC",
        spec.name)] == [12, 0, 0]


def _duplicates(consumer: str) -> float:
    value = REGISTRY.get_sample_value("polku_consumer_duplicates_total", {"consumer": consumer})
    return value or 0.0


async def _send(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for value in values:  # one key: one partition, in order
            await producer.send_and_wait(topic, value, key=b"one-client")
    finally:
        await producer.stop()


async def _consume(pool: asyncpg.Pool, spec: Any, bootstrap: str, *, until: int,
                   effects: bool = False) -> None:
    """Consume until the stored offsets sum to `until` (`effects`: until that many effects)."""
    broker = make_broker(ServiceSettings(kafka_bootstrap_servers=bootstrap), "test")
    BatchConsumer(spec, pool=pool, broker=broker)
    await broker.start()
    try:
        await wait_for(lambda: _effects_reach(pool, until) if effects
                       else _offsets_reach(pool, spec.name, until), what=f"{until} consumed")
    finally:
        await broker.stop()


async def _effects_reach(pool: asyncpg.Pool, n: int) -> bool:
    return int(await pool.fetchval("SELECT count(*) FROM effects")) >= n


async def _offsets_reach(pool: asyncpg.Pool, name: str, n: int) -> bool:
    total = await pool.fetchval(
        "SELECT coalesce(sum(next_offset), 0) FROM consumer_offsets WHERE consumer = $1", name)
    return int(total) >= n


async def _partition(pool: asyncpg.Pool, name: str) -> int:
    return int(await pool.fetchval(
        "SELECT partition FROM consumer_offsets WHERE consumer = $1 AND next_offset > 0", name))


async def _forget_group_offsets(bootstrap: str, topic: str, group: str) -> None:
    """Wind the broker's offsets of the consumer group back to 0 on every partition."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group,
                                enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(3)]  # the new_topic fixture's
        consumer.assign(partitions)
        await consumer.commit({tp: 0 for tp in partitions})
    finally:
        await consumer.stop()


READ_AUDIT = ("personal_data_reads", "timeline_reads")


async def test_read_audit_past_the_statutory_period_is_deleted_in_batches(
    database_url: str,
) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await apply_migrations(conn, "services.runtime", "services.referral",
                               "services.reporting")
    finally:
        await conn.close()
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    service = f"audit-{uuid.uuid4().hex[:8]}"
    try:
        for table in READ_AUDIT:
            await _insert_reads(pool, table, "12 years 1 day", 25)
            await _insert_reads(pool, table, "12 years -1 day", 3)
            await _insert_reads(pool, table, "0 days", 2)

        longer = await run_maintenance(pool, RetentionPolicy(read_audit_years=13),
                                       service=service, read_audit_tables=READ_AUDIT)
        assert [longer.rows[t] for t in READ_AUDIT] == [0, 0]

        deleted = await run_maintenance(pool, RetentionPolicy(batch_size=10), service=service,
                                        read_audit_tables=READ_AUDIT)
        for table in READ_AUDIT:
            assert deleted.rows[table] == 25
            assert deleted.statements[table] == 3  # 10 + 10 + 5
            assert await pool.fetchval(f"SELECT count(*) FROM {table}") == 5
            assert await pool.fetchval(
                f"SELECT min(read_at) > now() - interval '12 years' FROM {table}")
            assert sample("polku_table_rows", service, table) == 5
            assert (sample("polku_table_bytes", service, table) or 0) > 0
            assert sample("polku_retention_deleted_total", service, table) == 25
    finally:
        await pool.close()


async def _insert_reads(pool: asyncpg.Pool, table: str, age: str, count: int) -> None:
    """`count` reads made `age` ago, filling whatever other required columns the table has
    (only `read_at` matters here; other columns may come and go)."""
    columns = await pool.fetch(
        """SELECT column_name, data_type FROM information_schema.columns
           WHERE table_name = $1 AND is_nullable = 'NO' AND column_default IS NULL
             AND is_identity = 'NO' AND column_name <> 'read_at'""",
        table)
    others = [c["column_name"] for c in columns]
    rows = [{c["column_name"]: _filler(c["data_type"]) for c in columns} for _ in range(count)]
    await pool.execute(
        f"""INSERT INTO {table} ({", ".join(["read_at", *others])})
            SELECT {", ".join(["now() - $2::text::interval", *others])}
            FROM json_populate_recordset(NULL::{table}, $1::json)""",
        json.dumps(rows), age,
    )


def _filler(data_type: str) -> object:
    if data_type == "uuid":
        return str(uuid.uuid4())
    if data_type == "boolean":
        return True
    if data_type in ("integer", "bigint", "smallint", "numeric"):
        return 0
    if data_type.startswith("timestamp"):
        return datetime.now(UTC).isoformat()
    if data_type == "date":
        return date.today().isoformat()
    if data_type in ("json", "jsonb"):
        return {}
    if data_type == "ARRAY":
        return []
    return "x"
