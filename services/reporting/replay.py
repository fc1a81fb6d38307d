"""Rebuild reporting's projections: from the local event_log, and optionally the topics.

`replay` is what `polku replay` and the bench call. The rebuild fills a shadow schema and
swaps it in (projections.rebuild), so the running service keeps answering from the old
fact tables meanwhile. `from_topics` then re-reads the three service topics from the
beginning with a group-less consumer into event_log (deduplicated, so a partial log is
completed, never doubled), projecting each new event once, into both the served facts
(which stay consistent with event_log whatever happens to the replay) and the shadow schema,
before the swap; messages the consumer would dead-letter are skipped here too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError

from contracts.envelope import Envelope
from contracts.events.base import Event
from contracts.registry import UnknownEventType, parse_data
from services.reporting.consumer import TOPICS
from services.reporting.projections import rebuild
from services.reporting.projections.keys import RecordKeys, ensure_keyed
from services.reporting.projections.projector import Prepared, prepare, project_prepared
from services.runtime.dlq import partitions_of
from services.runtime.kafka_clients import KafkaConnection
from services.runtime.logging import get_logger
from services.runtime.migrate import apply_migrations

log = get_logger(__name__)

# phase ("topics" or "rebuild"), done, total
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ReplayResult:
    read: int = 0  # messages read from the topics
    new: int = 0  # of which were new to event_log
    skipped: int = 0  # unparseable, unknown or schema-invalid (they are in the DLQ)
    rebuilt: int = 0  # events projected by the rebuild


def valid_event(value: bytes | None) -> tuple[Envelope, Event] | None:
    """The envelope and its event model if the consumer kit would hand them to reporting,
    else None."""
    try:
        envelope = Envelope.model_validate_json(value or b"")
        return envelope, parse_data(envelope)
    except (ValidationError, ValueError, UnknownEventType):
        return None


async def _assign_all(
    consumer: AIOKafkaConsumer, kafka: KafkaConnection, topics: Sequence[str]
) -> list[TopicPartition]:
    partitions = [
        TopicPartition(topic, p) for topic in topics for p in await partitions_of(kafka, topic)
    ]
    if partitions:
        consumer.assign(partitions)
    return partitions


@dataclass
class _TopicPass:
    """One pass over the topics: a reader filling a queue of parsed batches, and writers
    projecting them, each in transactions of its own."""

    consumer: AIOKafkaConsumer
    batches: asyncio.Queue[list[Prepared] | None]
    batch_size: int
    progress: Progress | None
    shadow: bool
    keys: RecordKeys | None = None
    read: int = 0
    new: int = 0
    skipped: int = 0

    async def fetch(self, partitions: list[TopicPartition], writers: int) -> None:
        consumer = self.consumer
        await consumer.seek_to_beginning(*partitions)
        begin = await consumer.beginning_offsets(partitions)
        end = await consumer.end_offsets(partitions)
        total = sum(end[tp] - begin[tp] for tp in partitions)
        pending = {tp for tp in partitions if end[tp] > begin[tp]}
        batch: list[Prepared] = []
        while pending:
            fetched = await consumer.getmany(*pending, timeout_ms=500,
                                             max_records=self.batch_size)
            for tp, records in fetched.items():
                batch.extend(self._parsed(r for r in records if r.offset < end[tp]))
            for tp in list(pending):
                if await consumer.position(tp) >= end[tp]:
                    pending.discard(tp)
            if len(batch) >= self.batch_size or (batch and not pending):
                await self.batches.put(batch)
                batch = []
            if self.progress is not None:
                self.progress("topics", self.read, total)
        for _ in range(writers):
            await self.batches.put(None)

    def _parsed(self, records: Iterable[Any]) -> list[Prepared]:
        prepared = []
        for record in records:
            self.read += 1
            parsed = valid_event(record.value)
            if parsed is None:
                self.skipped += 1
            else:
                prepared.append(prepare(*parsed, record.value))
        return prepared

    async def write(self, conn: asyncpg.Connection) -> None:
        while (batch := await self.batches.get()) is not None:
            async with conn.transaction():
                added = await project_prepared(conn, batch, shadow=self.shadow,
                                               keys=self.keys)
            self.new += added  # not `+= await ...`: the other writers update it meanwhile


async def read_topics(
    conns: asyncpg.Connection | Sequence[asyncpg.Connection], kafka: KafkaConnection,
    topics: Sequence[str] = TOPICS, *,
    batch_size: int = 10_000, progress: Progress | None = None, shadow: bool = False,
    keys: RecordKeys | None = None,
) -> ReplayResult:
    """Every message of `topics`, from the beginning to the end offsets at the start, into
    event_log and the current facts (one transaction per batch of about `batch_size`), and
    with `shadow` into the schema a running rebuild fills as well.

    Reading and parsing the next batch overlaps with the database writing the previous one;
    given several connections, each writes batches in turn, in transactions of its own, so
    the server works on two batches at once (the order of batches does not matter: event_log
    deduplicates by id and fact rows are insert-only).
    """
    writers = [conns] if isinstance(conns, asyncpg.Connection) else list(conns)
    consumer = kafka.consumer(
        group_id=None, enable_auto_commit=False,
        auto_offset_reset="earliest", max_poll_records=batch_size,
        max_partition_fetch_bytes=8 * 1024 * 1024, fetch_max_bytes=64 * 1024 * 1024,
    )
    await kafka.start(consumer)
    run = _TopicPass(consumer, asyncio.Queue(maxsize=len(writers)), batch_size, progress,
                     shadow, keys)
    try:
        partitions = await _assign_all(consumer, kafka, topics)
        if not partitions:
            return ReplayResult()
        tasks = [asyncio.create_task(run.fetch(partitions, len(writers))),
                 *(asyncio.create_task(run.write(conn)) for conn in writers)]
        try:
            await asyncio.gather(*tasks)  # the first failure of any stops all
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        await consumer.stop()
    log.info("replay.topics_read", read=run.read, new=run.new, skipped=run.skipped)
    return ReplayResult(read=run.read, new=run.new, skipped=run.skipped)


async def replay(
    database_url: str, *, from_topics: bool = False, kafka: KafkaConnection | None = None,
    topics: Sequence[str] = TOPICS, chunk_size: int = 50_000,
    progress: Progress | None = None, keys: RecordKeys | None = None,
) -> ReplayResult:
    """Rebuild the projections of the reporting database at `database_url`, the fact rows
    keyed with `keys` (projections/keys.py; None: left for the service to key)."""
    if from_topics and kafka is None:
        raise ValueError("from_topics needs the Kafka connection")
    conn = await asyncpg.connect(database_url)
    try:
        await apply_migrations(conn, "services.runtime", "services.reporting")
        read = ReplayResult()

        def rebuilt(done: int, total: int) -> None:
            if progress is not None:
                progress("rebuild", done, total)

        async def from_the_topics(conn: asyncpg.Connection) -> int:
            nonlocal read
            assert kafka is not None
            read = await read_topics([conn, reader], kafka, topics,
                                     progress=progress, shadow=True, keys=keys)
            return read.new

        # A second connection reads the next chunk while this one writes the current.
        reader = await asyncpg.connect(database_url)
        try:
            count = await rebuild(conn, chunk_size=chunk_size, progress=rebuilt, reader=reader,
                                  then=from_the_topics if from_topics else None, keys=keys)
        finally:
            await reader.close()
        if keys is not None:
            await ensure_keyed(conn, keys)
    finally:
        await conn.close()
    log.info("replay.rebuilt", events=count)
    return ReplayResult(read.read, read.new, read.skipped, count)
