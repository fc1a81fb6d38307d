"""The consumer kit: batch subscribers with effectively-once effects and dead letters.

Per batch and in one PostgreSQL transaction: skip event ids this consumer already
processed or that lie below the offset it stored, run the handler on the rest, record
their ids and the consumed offsets. On (re)assignment it seeks to the offsets it stored, so
the database, not the broker, decides where it resumes. Messages that cannot be parsed,
whose explicitly subscribed type is unknown, or whose data fails its schema go to
`polku.dlq.<consumer>` with the reason in headers; the consumer keeps going.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg
from aiokafka import ConsumerRebalanceListener, TopicPartition
from aiokafka.structs import ConsumerRecord
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.middlewares import AckPolicy

from contracts.topics import dlq_topic
from services.runtime.intake import (
    ConsumedEvent,
    ConsumerSpec,
    DeadLetter,
    Passed,
    Sorted,
    classify,
    short_reason,
)
from services.runtime.logging import get_logger
from services.runtime.metrics import (
    CONSUMER_DUPLICATES,
    CONSUMER_LAG,
    CONSUMER_PROCESSED,
    DEAD_LETTERS,
)

log = get_logger(__name__)

_INFRASTRUCTURE_ERRORS = (
    OSError,
    ConnectionError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
)


def _next_offsets(records: Sequence[ConsumerRecord]) -> dict[tuple[str, int], int]:
    offsets: dict[tuple[str, int], int] = {}
    for r in records:
        key = (r.topic, r.partition)
        offsets[key] = max(offsets.get(key, 0), r.offset + 1)
    return offsets


class BatchConsumer:
    """Runs one ConsumerSpec on a FastStream broker against one service database."""

    def __init__(
        self,
        spec: ConsumerSpec,
        *,
        pool: asyncpg.Pool,
        broker: KafkaBroker,
        max_records: int = 1000,
        retries: int = 3,
        backoff: float = 0.2,
    ) -> None:
        self.spec = spec
        self.pool = pool
        self.broker = broker
        self.retries = retries
        self.backoff = backoff
        self.processed = 0
        self._inflight: asyncio.Task[None] | None = None
        self._inflight_records: list[ConsumerRecord] = []
        self.subscriber = broker.subscriber(
            *spec.topics,
            group_id=f"polku-{spec.name}",
            batch=True,
            max_records=max_records,
            batch_timeout_ms=100,
            # Larger fetches under load, at most 100 ms extra wait when the topic is quiet.
            fetch_min_bytes=256 * 1024,
            fetch_max_wait_ms=100,
            max_partition_fetch_bytes=4 * 1024 * 1024,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.ACK,
            decoder=_raw_records,
            listener=_SeekToStoredOffsets(self),
            title=f"{spec.name}-consumer",
            description=f"{spec.name} consumes {', '.join(sorted(spec.subscribed_types))}",
        )
        self.subscriber(self._on_batch)

    @property
    def running(self) -> bool:
        """Its Kafka consumer has started and not been stopped (reporting's readiness); it
        stays running, reconnecting by itself, while the broker is away."""
        return bool(self.subscriber.running)

    async def stored_offsets(self) -> dict[tuple[str, int], int]:
        rows = await self.pool.fetch(
            "SELECT topic, partition, next_offset FROM consumer_offsets WHERE consumer = $1",
            self.spec.name,
        )
        return {(r["topic"], r["partition"]): r["next_offset"] for r in rows}

    async def _on_batch(self, records: Any, msg: KafkaMessage) -> None:
        """Parse this batch while the previous one commits, then commit this one in the
        background: batches still commit one after another, in order."""
        records = list(records)
        if not records:
            return
        sorted_ = classify(self.spec, records)
        if not await self._settle(msg):
            return  # rewound: this batch comes again after the one that failed
        self._inflight = asyncio.create_task(self._commit_or_rewind(sorted_, records, msg))
        self._inflight_records = records
        self._update_lag(msg, records)

    async def _settle(self, msg: KafkaMessage) -> bool:
        """Wait for the batch being committed; on an infrastructure failure rewind to it."""
        task, records = self._inflight, self._inflight_records
        self._inflight, self._inflight_records = None, []
        if task is None:
            return True
        try:
            await task
            return True
        except Exception as error:
            # Handler errors are retried and dead-lettered inside the commit; what escapes is
            # the database or the broker failing. Nothing of that batch was stored: fetch it
            # (and what followed) again rather than skip it.
            log.warning("consumer.rewind", consumer=self.spec.name, error=repr(error))
            _rewind(msg, records)
            await asyncio.sleep(1.0)
            return False

    async def _commit_or_rewind(
        self, sorted_: Sorted, records: list[ConsumerRecord], msg: KafkaMessage
    ) -> None:
        try:
            await self._commit(sorted_, records)
        except Exception:
            _rewind(msg, records)  # at once, even if no further batch arrives to notice
            raise

    async def drain(self) -> None:
        """Let the batch being committed finish (at shutdown)."""
        if self._inflight is not None:
            with contextlib.suppress(Exception):
                await self._inflight
            self._inflight = None

    async def process(self, records: Sequence[ConsumerRecord]) -> None:
        """Apply one batch effectively once; dead-letter what cannot be applied."""
        await self._commit(classify(self.spec, records), records)

    async def _commit(self, sorted_: Sorted, records: Sequence[ConsumerRecord]) -> None:
        await self._dead_letter(sorted_.dead)
        offsets = _next_offsets(records)
        for attempt in range(self.retries + 1):
            try:
                await self._apply(sorted_.events, offsets, sorted_.passed)
                return
            except _INFRASTRUCTURE_ERRORS:
                raise
            except Exception as error:
                log.warning(
                    "consumer.handler_failed", consumer=self.spec.name, attempt=attempt,
                    error=repr(error),
                )
                await asyncio.sleep(self.backoff * 2**attempt)
        await self._apply_one_by_one(sorted_.events, records, offsets, sorted_.passed)

    async def _apply(
        self, events: list[ConsumedEvent], offsets: dict[tuple[str, int], int],
        passed: Sequence[Passed] = (),
    ) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            stored = await self._lock_stored(conn, {(e.topic, e.partition) for e in events}
                                             | {(p.topic, p.partition) for p in passed}
                                             | set(offsets))
            # Below the stored offset a record was applied already (its id maybe pruned): a
            # batch from the group's offset can come before _SeekToStoredOffsets has sought.
            events = [e for e in events if e.offset >= stored.get((e.topic, e.partition), 0)]
            passed = [p for p in passed if p.offset >= stored.get((p.topic, p.partition), 0)]
            offsets = {k: o for k, o in offsets.items() if o > stored.get(k, -1)}
            fresh = await self._deduplicate(conn, events)
            if fresh:
                await self.spec.handler(conn, fresh)
            await self._record_passed(conn, passed)
            await self._store_offsets(conn, offsets)
        CONSUMER_PROCESSED.labels(self.spec.name).inc(len(fresh))
        CONSUMER_DUPLICATES.labels(self.spec.name).inc(len(events) - len(fresh))
        self.processed += len(fresh)

    async def _apply_one_by_one(
        self,
        events: list[ConsumedEvent],
        records: Sequence[ConsumerRecord],
        offsets: dict[tuple[str, int], int],
        passed: Sequence[Passed] = (),
    ) -> None:
        by_position = {(r.topic, r.partition, r.offset): r for r in records}
        for event in events:
            try:
                await self._apply([event], {})
            except _INFRASTRUCTURE_ERRORS:
                raise
            except Exception as error:
                record = by_position[(event.topic, event.partition, event.offset)]
                await self._dead_letter([DeadLetter(record, "handler-error", short_reason(error))])
        async with self.pool.acquire() as conn, conn.transaction():
            await self._record_passed(conn, passed)
            await self._store_offsets(conn, offsets)

    async def _lock_stored(self, conn: asyncpg.Connection, keys: set[tuple[str, int]]
                           ) -> dict[tuple[str, int], int]:
        """These partitions' stored offsets, locked until the batch commits (an instance
        losing a partition and the one taking it over apply in turn)."""
        rows = await conn.fetch(
            """SELECT topic, partition, next_offset FROM consumer_offsets
               WHERE consumer = $1 AND (topic, partition) IN
                     (SELECT * FROM unnest($2::text[], $3::int[]))
               ORDER BY topic, partition FOR UPDATE""",
            self.spec.name, [k[0] for k in keys], [k[1] for k in keys])
        return {(r["topic"], r["partition"]): r["next_offset"] for r in rows}

    async def _deduplicate(
        self, conn: asyncpg.Connection, events: list[ConsumedEvent]
    ) -> list[ConsumedEvent]:
        # Within a batch too: a message delivered twice in one batch counts once.
        unique: dict[UUID, ConsumedEvent] = {}
        for event in events:
            unique.setdefault(event.event_id, event)
        if not self.spec.dedup or not unique:
            return list(unique.values())
        # Each id remembers where it was consumed: retention.py prunes it only once the
        # stored offset of its partition is well past it (see prune_processed_events).
        firsts = list(unique.values())
        rows = await conn.fetch(
            """INSERT INTO processed_events (consumer, event_id, topic, partition, topic_offset)
               SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::int[], $5::bigint[])
               ON CONFLICT DO NOTHING RETURNING event_id""",
            self.spec.name, list(unique), [e.topic for e in firsts],
            [e.partition for e in firsts], [e.offset for e in firsts],
        )
        fresh = {r["event_id"] for r in rows}
        return [e for e in unique.values() if e.event_id in fresh]

    async def _record_passed(self, conn: asyncpg.Connection, passed: Sequence[Passed]) -> None:
        """Events not this consumer's business are seen too: a consistency token naming
        them is satisfied once the consumer is past them (consistency.py)."""
        if not self.spec.dedup or not passed:
            return
        await conn.execute(
            """INSERT INTO processed_events (consumer, event_id, topic, partition, topic_offset)
               SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::int[], $5::bigint[])
               ON CONFLICT DO NOTHING""",
            self.spec.name, [p.event_id for p in passed], [p.topic for p in passed],
            [p.partition for p in passed], [p.offset for p in passed],
        )

    async def seen(self, ids: list[UUID]) -> set[UUID]:
        """Which of these event ids this consumer has taken in."""
        if self.spec.seen is not None:
            return await self.spec.seen(self.pool, ids)
        rows = await self.pool.fetch(
            "SELECT event_id FROM processed_events WHERE consumer = $1 AND event_id = ANY($2)",
            self.spec.name, ids)
        return {r["event_id"] for r in rows}

    async def _store_offsets(
        self, conn: asyncpg.Connection, offsets: dict[tuple[str, int], int]
    ) -> None:
        if not offsets:
            return
        keys = list(offsets)
        await conn.execute(
            """INSERT INTO consumer_offsets (consumer, topic, partition, next_offset)
               SELECT $1, t, p, o FROM unnest($2::text[], $3::int[], $4::bigint[]) AS x(t, p, o)
               ON CONFLICT (consumer, topic, partition)
               DO UPDATE SET next_offset = excluded.next_offset""",
            self.spec.name, [k[0] for k in keys], [k[1] for k in keys],
            [offsets[k] for k in keys],
        )

    async def _dead_letter(self, letters: list[DeadLetter]) -> None:
        if not letters:
            return
        topic = dlq_topic(self.spec.name)
        pending = []
        for letter in letters:
            r = letter.record
            pending.append(
                await self.broker.publish(
                    r.value or b"", topic, key=r.key,
                    headers={
                        # The record's own headers (a binary-mode event's attributes) go
                        # along, so that a replayed letter is the record it was.
                        **_kept_headers(r),
                        "dlq-reason": letter.reason,
                        "dlq-detail": letter.detail,
                        "dlq-topic": r.topic,
                        "dlq-partition": str(r.partition),
                        "dlq-offset": str(r.offset),
                    },
                    no_confirm=True,
                )
            )
            DEAD_LETTERS.labels(self.spec.name, letter.reason).inc()
            log.warning(
                "consumer.dead_letter", consumer=self.spec.name, reason=letter.reason,
                topic=r.topic, partition=r.partition, offset=r.offset,
            )
        await asyncio.gather(*pending)

    def _update_lag(self, msg: KafkaMessage, records: Sequence[ConsumerRecord]) -> None:
        consumer = msg.consumer
        if consumer is None:
            return
        for (topic, partition), next_offset in _next_offsets(records).items():
            high = consumer.highwater(TopicPartition(topic, partition))  # type: ignore[attr-defined]
            if high is not None:
                CONSUMER_LAG.labels(self.spec.name, topic, str(partition)).set(
                    max(0, high - next_offset)
                )


def _kept_headers(record: ConsumerRecord) -> dict[str, str]:
    """The headers a dead letter keeps of its record: all but an earlier dead letter's."""
    return {name: (value or b"").decode("utf-8", "replace")
            for name, value in record.headers or () if not name.startswith("dlq-")}


async def _raw_records(msg: Any, original: Any = None) -> list[ConsumerRecord]:
    """FastStream decoder: hand the handler the raw ConsumerRecords, undecoded."""
    return list(msg.raw_message)


def _rewind(msg: KafkaMessage, records: Sequence[ConsumerRecord]) -> None:
    consumer = msg.consumer
    if consumer is None:
        return
    first: dict[TopicPartition, int] = {}
    for r in records:
        tp = TopicPartition(r.topic, r.partition)
        first[tp] = min(first.get(tp, r.offset), r.offset)
    for tp, offset in first.items():
        if tp in consumer.assignment():  # type: ignore[attr-defined]
            consumer.seek(tp, offset)


class _SeekToStoredOffsets(ConsumerRebalanceListener):  # type: ignore[misc]
    """On assignment, resume each partition at the offset stored with the effects."""

    def __init__(self, owner: BatchConsumer) -> None:
        self.owner = owner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        consumer = self.owner.subscriber.consumer
        if consumer is None or not assigned:
            return
        stored = await self.owner.stored_offsets()
        # The database, not the broker's group offsets, says what was applied: a partition
        # with no stored offset (a fresh or restored database) is read from its beginning.
        fresh = [tp for tp in assigned if (tp.topic, tp.partition) not in stored]
        if fresh:
            await consumer.seek_to_beginning(*fresh)
        known = [tp for tp in assigned if (tp.topic, tp.partition) in stored]
        ends = await consumer.end_offsets(known) if known else {}
        for tp in known:
            offset = stored[(tp.topic, tp.partition)]
            if offset > ends.get(tp, offset):
                # The partition is shorter than what we consumed: the topic was recreated or
                # truncated. Read it again from the start; deduplication makes that safe.
                log.warning("consumer.partition_reset", consumer=self.owner.spec.name,
                            topic=tp.topic, partition=tp.partition, stored=offset,
                            end=ends.get(tp))
                # Stored from its start, or _apply would take its records for applied ones.
                await self.owner.pool.execute(
                    """UPDATE consumer_offsets SET next_offset = 0
                       WHERE consumer = $1 AND topic = $2 AND partition = $3""",
                    self.owner.spec.name, tp.topic, tp.partition)
                await consumer.seek_to_beginning(tp)
            else:
                consumer.seek(tp, offset)
