"""The relay: publishes a service's committed events to its topic, in commit order.

At-least-once: the checkpoint in PostgreSQL advances only after the broker acknowledged
every event of the batch (idempotent producer, acks=all). A crash between publish and
checkpoint re-sends the batch; consumers deduplicate by event id.

Every replica of a service runs a relay, but only one publishes: the one holding the
service's leader lock, a PostgreSQL session advisory lock on the service's own database. The
others stand by and try again every `standby_seconds`; when the leader stops, or its session
ends, one of them takes over from the stored checkpoint. The leader checks its session after
every batch, so a leader that lost it stops within a batch (a batch may then be sent twice).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Awaitable, Callable

import asyncpg
from aiokafka.partitioner import murmur2
from faststream.kafka import KafkaBroker, KafkaPublishMessage

from services.runtime.dlq import partitions_of
from services.runtime.eventstore import Checkpoint, PostgresEventStore, StoredEvent
from services.runtime.kafka_clients import KafkaConnection
from services.runtime.logging import get_logger
from services.runtime.metrics import (
    RELAY_ERRORS,
    RELAY_LAG,
    RELAY_LAG_SECONDS,
    RELAY_LEADER,
    RELAY_PUBLISHED,
)

log = get_logger(__name__)


def kafka_key(event: StoredEvent) -> bytes:
    """Key = clientid, else subject (EVENTS.md): one client's events stay in order."""
    return (str(event.client_id) if event.client_id else event.stream_id).encode()


def leader_lock_key(name: str) -> int:
    """The advisory lock (a signed 64-bit key) that the relays of service `name` contend for."""
    digest = hashlib.blake2b(f"polku.relay:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def partition_for(key: bytes, partitions: int) -> int:
    """The Kafka default partitioner (murmur2, as the Java client and aiokafka compute it),
    so every producer of a topic puts a key on the same partition."""
    return int((murmur2(key) & 0x7FFFFFFF) % partitions)


# A producer batch must fit the broker's request limit; stay well under max_batch_size.
_BATCH_BYTES = 384 * 1024


async def publish_events(
    broker: KafkaBroker, topic: str, events: list[StoredEvent], partitions: int
) -> None:
    """Send a batch as one producer batch per partition (in commit order within each),
    then wait for every acknowledgement."""
    groups: dict[int, list[list[KafkaPublishMessage]]] = {}
    sizes: dict[int, int] = {}
    cache: dict[bytes, int] = {}
    for event in events:
        key = kafka_key(event)
        partition = cache.get(key)
        if partition is None:
            partition = cache[key] = partition_for(key, partitions)
        body = event.envelope.encode()
        chunks = groups.setdefault(partition, [[]])
        if sizes.get(partition, 0) + len(body) > _BATCH_BYTES and chunks[-1]:
            chunks.append([])
            sizes[partition] = 0
        chunks[-1].append(KafkaPublishMessage(body, key=key))
        sizes[partition] = sizes.get(partition, 0) + len(body) + len(key) + 64
    pending = [
        await broker.publish_batch(
            *chunk, topic=topic, partition=partition,
            headers={"content-type": "application/cloudevents+json"}, no_confirm=True,
        )
        for partition, chunks in groups.items()
        for chunk in chunks
    ]
    await asyncio.gather(*pending)


async def partition_count(broker: KafkaBroker, topic: str) -> int:
    found = await partitions_of(KafkaConnection.of_broker(broker), topic)
    if not found:
        raise RuntimeError(f"topic {topic} has no partitions (does it exist?)")
    return len(found)


class Relay:
    def __init__(
        self,
        *,
        name: str,
        pool: asyncpg.Pool,
        broker: KafkaBroker,
        topic: str,
        batch_size: int = 1000,
        idle_seconds: float = 0.05,
        standby_seconds: float = 1.0,
        before_checkpoint: Callable[[list[StoredEvent]], Awaitable[None]] | None = None,
        connected: asyncio.Event | None = None,
    ) -> None:
        self.name = name
        self.pool = pool
        self.store = PostgresEventStore(pool)
        self.broker = broker
        self.topic = topic
        self.batch_size = batch_size
        self.idle_seconds = idle_seconds
        self.standby_seconds = standby_seconds
        self._lock_key = leader_lock_key(name)
        self._before_checkpoint = before_checkpoint  # a seam for crash tests
        # Set once the broker's clients have started (broker_link.py): until then nothing
        # could be published, and the relay waits rather than fail and back off.
        self._connected = connected
        self.running = False  # the task runs, leading or standing by
        self.leading = False
        self.published = 0
        self._partitions: int | None = None

    async def checkpoint(self) -> Checkpoint:
        row = await self.pool.fetchrow(
            """SELECT transaction_id::text::bigint AS txid, position
               FROM relay_checkpoints WHERE name = $1""",
            self.name,
        )
        return Checkpoint(row["txid"], row["position"]) if row else Checkpoint()

    async def measure_lag(self) -> tuple[int, float]:
        """The outbox backlog: how many committed events are not yet published, and how old
        the oldest of them is (seconds); also set as the relay lag metrics. While the broker
        is away this grows, and commands still succeed (docs/OPERATIONS.md, Readiness)."""
        checkpoint = await self.checkpoint()
        row = await self.pool.fetchrow(
            """SELECT count(*) AS events,
                      coalesce(extract(epoch FROM now() - min(recorded_at)), 0) AS age
               FROM events WHERE (transaction_id, position) > ($1::text::xid8, $2)""",
            str(checkpoint.transaction_id), checkpoint.position,
        )
        events, age = int(row["events"]), max(0.0, float(row["age"]))
        RELAY_LAG.labels(self.name).set(events)
        RELAY_LAG_SECONDS.labels(self.name).set(age)
        return events, age

    async def _save(self, checkpoint: Checkpoint) -> None:
        await self.pool.execute(
            """INSERT INTO relay_checkpoints (name, transaction_id, position, updated_at)
               VALUES ($1, $2::text::xid8, $3, now())
               ON CONFLICT (name) DO UPDATE
               SET transaction_id = excluded.transaction_id, position = excluded.position,
                   updated_at = now()""",
            self.name, str(checkpoint.transaction_id), checkpoint.position,
        )

    async def run_once(self, checkpoint: Checkpoint) -> tuple[Checkpoint, int]:
        """Publish one batch after `checkpoint`; return the new checkpoint and the count."""
        events = await self.store.read_committed(checkpoint, self.batch_size)
        if not events:
            return checkpoint, 0
        if self._partitions is None:
            self._partitions = await partition_count(self.broker, self.topic)
        await publish_events(self.broker, self.topic, events, self._partitions)
        if self._before_checkpoint is not None:
            await self._before_checkpoint(events)
        last = events[-1]
        new = Checkpoint(last.transaction_id, last.position)
        await self._save(new)
        RELAY_PUBLISHED.labels(self.name).inc(len(events))
        self.published += len(events)
        return new, len(events)

    def _lead(self, leading: bool) -> None:
        if leading != self.leading:
            log.info("relay.leading" if leading else "relay.standing_by", relay=self.name)
        self.leading = leading
        RELAY_LEADER.labels(self.name).set(int(leading))

    async def run(self) -> None:
        """Publish while this replica holds the leader lock, stand by while another does,
        until cancelled; survive broker and database outages by retrying."""
        if self._connected is not None:
            await self._connected.wait()
        self.running = True
        backoff = 0.1
        try:
            while True:
                try:
                    async with self.pool.acquire() as session:
                        if not await session.fetchval(
                            "SELECT pg_try_advisory_lock($1)", self._lock_key
                        ):
                            self._lead(False)
                            await asyncio.sleep(self.standby_seconds)
                            continue
                        try:
                            self._lead(True)
                            # A new leader starts from the stored checkpoint, never from what
                            # it may have kept in memory while another replica published.
                            checkpoint = await self.checkpoint()
                            while True:
                                checkpoint, count = await self.run_once(checkpoint)
                                backoff = 0.1
                                if count < self.batch_size:  # caught up with what is committed
                                    RELAY_LAG.labels(self.name).set(0)
                                    RELAY_LAG_SECONDS.labels(self.name).set(0)
                                    await asyncio.sleep(self.idle_seconds)
                                await session.fetchval("SELECT 1")  # the lock's session lives
                        finally:
                            self._lead(False)
                            with contextlib.suppress(Exception):  # gone with a lost session
                                await session.execute(
                                    "SELECT pg_advisory_unlock($1)", self._lock_key)
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # broker or database down: retry from the checkpoint
                    RELAY_ERRORS.labels(self.name).inc()
                    log.warning(
                        "relay.retry", relay=self.name, error=repr(error), backoff=backoff
                    )
                    self._partitions = None  # the topic may have been recreated or grown
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
        finally:
            self.running = False


async def republish(
    *,
    pool: asyncpg.Pool,
    broker: KafkaBroker,
    topic: str,
    from_position: int,
    batch_size: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Re-send every stored event with position ≥ from_position (at-least-once)."""
    store = PostgresEventStore(pool)
    sent = 0
    position = from_position
    partitions = await partition_count(broker, topic)
    while True:
        events = await store.read_from_position(position, batch_size)
        if not events:
            return sent
        await publish_events(broker, topic, events, partitions)
        sent += len(events)
        position = events[-1].position + 1
        if progress is not None:
            progress(len(events))
