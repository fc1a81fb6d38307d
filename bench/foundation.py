"""Foundation benchmarks: event store appends (ours vs the eventsourcing library's
PostgreSQL recorder on the same database) and relay → consumer throughput."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
import uuid
from urllib.parse import urlparse

import asyncpg

from bench.context import fmt, median_rate
from polku.infra import Infrastructure
from services.runtime.application import Decision, stream_appends
from services.runtime.consumer import BatchConsumer
from services.runtime.eventstore import EventStore, PostgresEventStore, StreamAppend
from services.runtime.kafka_clients import KafkaConnection
from services.runtime.process import tune_gc
from services.runtime.relay import Relay
from services.runtime.service import make_broker
from services.runtime.settings import ServiceSettings
from services.runtime.topics import ensure_topics
from tests.integration.runtime.support import (
    META,
    append_contacts,
    contact,
    effects_consumer,
    migrated_pool,
)

SINGLE = 2_000
BATCHED = 50_000
RELAYED = 50_000


def _prepared(streams: int, per_transaction: int) -> list[StreamAppend]:
    """Appends built before the clock starts: the store is measured, not envelope building."""
    client = uuid.uuid4()
    appends: list[StreamAppend] = []
    for _ in range(streams):
        engagement = uuid.uuid4()
        decision = Decision(events=[contact(engagement, client) for _ in range(per_transaction)],
                            expected_versions={})
        appends.extend(stream_appends(decision, source="polku/coaching", meta=META))
    return appends


async def _append_single(store: EventStore) -> tuple[int, float]:
    # One stream, one event per transaction, each with its expected version.
    [one] = _prepared(1, SINGLE)
    appends = [StreamAppend(one.stream_id, version, [event])
               for version, event in enumerate(one.events)]
    started = time.perf_counter()
    for append in appends:
        await store.append([append])
    return SINGLE, time.perf_counter() - started


async def _append_single_concurrent(store: EventStore, writers: int = 8) -> tuple[int, float]:
    # One event per transaction from several writers at once, as a busy service appends.
    streams = _prepared(writers, SINGLE // writers)

    async def writer(stream: StreamAppend) -> None:
        for version, event in enumerate(stream.events):
            await store.append([StreamAppend(stream.stream_id, version, [event])])

    started = time.perf_counter()
    await asyncio.gather(*(writer(stream) for stream in streams))
    return SINGLE, time.perf_counter() - started


async def _append_batched(store: EventStore) -> tuple[int, float]:
    appends = _prepared(BATCHED // 100, 100)
    started = time.perf_counter()
    for append in appends:
        await store.append([append])
    return BATCHED, time.perf_counter() - started


def _eventsourcing_recorder(url: str, pool_size: int = 2):  # type: ignore[no-untyped-def]
    from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

    parts = urlparse(url)
    datastore = PostgresDatastore(
        dbname=parts.path.lstrip("/"), host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432, user=parts.username or "postgres",
        password=parts.password or "", pool_size=pool_size,
    )
    recorder = PostgresApplicationRecorder(datastore)
    recorder.create_table()
    return recorder


def _theirs_concurrent(recorder, total: int, size: int, writers: int = 8) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    from concurrent.futures import ThreadPoolExecutor

    from eventsourcing.persistence import StoredEvent

    state = b"x" * size

    def writer(_: int) -> None:
        originator = uuid.uuid4()
        for version in range(1, total // writers + 1):
            recorder.insert_events([StoredEvent(originator, version, "bench", state)])

    started = time.perf_counter()
    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(writer, range(writers)))
    return total, time.perf_counter() - started


def _theirs(recorder, per_transaction: int, total: int, size: int) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    from eventsourcing.persistence import StoredEvent

    state = b"x" * size
    started = time.perf_counter()
    if per_transaction == 1:
        originator = uuid.uuid4()
        for version in range(1, total + 1):
            recorder.insert_events([StoredEvent(originator, version, "bench", state)])
    else:
        for _ in range(total // per_transaction):
            originator = uuid.uuid4()
            recorder.insert_events([StoredEvent(originator, v, "bench", state)
                                    for v in range(1, per_transaction + 1)])
    return total, time.perf_counter() - started


async def _envelope_size(store: EventStore) -> int:
    return len((await store.read_from_position(1, 1))[0].envelope.encode())


def _relay_main(url: str, bootstrap: str, topic: str, count: int, ready, go) -> None:  # type: ignore[no-untyped-def]
    """The relay in its own process, as in production (it runs in the writing service).
    It connects first and starts publishing only on `go`, so start-up is not timed."""

    tune_gc()  # as `polku serve`, which runs the relay, does

    async def run() -> None:
        pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
        broker = make_broker(ServiceSettings(kafka_bootstrap_servers=bootstrap), "bench-relay")
        await broker.connect()
        relay = Relay(name="bench", pool=pool, broker=broker, topic=topic, batch_size=2000)
        checkpoint = await relay.checkpoint()
        ready.set()
        await asyncio.to_thread(go.wait)
        sent = 0
        while sent < count:
            checkpoint, n = await relay.run_once(checkpoint)
            sent += n
        await broker.stop()
        await pool.close()

    asyncio.run(run())


async def _relay_to_consumer(infra: Infrastructure, repeats: int) -> tuple[float, list[float]]:
    settings = ServiceSettings(kafka_bootstrap_servers=infra.kafka_bootstrap)
    spawn = multiprocessing.get_context("spawn")

    async def run() -> tuple[int, float]:
        url = await infra.adatabase_url(f"bench_relay_{uuid.uuid4().hex[:8]}")
        pool = await migrated_pool(url)
        topic = f"bench.{uuid.uuid4().hex[:8]}"
        await ensure_topics(KafkaConnection(infra.kafka_bootstrap), [topic], partitions=3)
        store = PostgresEventStore(pool)
        client = uuid.uuid4()
        for _ in range(RELAYED // 500):  # many streams, as in production
            await append_contacts(store, uuid.uuid4(), client, count=500, expected_version=0)
        broker = make_broker(settings, "bench")
        consumer = BatchConsumer(effects_consumer(topic), pool=pool, broker=broker,
                                 max_records=5000)
        await broker.start()  # the consumer joins its group before the clock starts
        await asyncio.sleep(2.0)
        ready, go = spawn.Event(), spawn.Event()
        relay = spawn.Process(target=_relay_main,
                              args=(url, infra.kafka_bootstrap, topic, RELAYED, ready, go))
        relay.start()
        await asyncio.to_thread(ready.wait, 60)
        started = time.perf_counter()
        go.set()
        while consumer.processed < RELAYED:  # in-process counter: no polling query on the DB
            await asyncio.sleep(0.01)
        elapsed = time.perf_counter() - started
        relay.join(timeout=30)
        assert await pool.fetchval("SELECT count(DISTINCT event_id) FROM effects") == RELAYED
        await broker.stop()
        await pool.close()
        return RELAYED, elapsed

    return await median_rate(run, repeats)


async def run_foundation(infra: Infrastructure, report, repeats: int = 3) -> dict[str, float]:  # type: ignore[no-untyped-def]
    url = await infra.adatabase_url(f"bench_store_{uuid.uuid4().hex[:8]}")
    pool = await migrated_pool(url)
    store = PostgresEventStore(pool)
    single, _ = await median_rate(lambda: _append_single(store), repeats)
    concurrent, _ = await median_rate(lambda: _append_single_concurrent(store), repeats)
    batched, _ = await median_rate(lambda: _append_batched(store), repeats)
    size = await _envelope_size(store)
    await pool.close()

    recorder = _eventsourcing_recorder(url, pool_size=8)

    async def theirs(per_tx: int, total: int) -> tuple[int, float]:
        return await asyncio.to_thread(_theirs, recorder, per_tx, total, size)

    their_single, _ = await median_rate(lambda: theirs(1, SINGLE), repeats)

    async def theirs_concurrent() -> tuple[int, float]:
        return await asyncio.to_thread(_theirs_concurrent, recorder, SINGLE, size)

    their_concurrent, _ = await median_rate(theirs_concurrent, repeats)
    their_batched, _ = await median_rate(lambda: theirs(100, BATCHED), repeats)
    relayed, rates = await _relay_to_consumer(infra, repeats)

    report(f"append, 1 event/transaction  ({SINGLE} events, {size} B envelopes): "
           f"{fmt(single)}; eventsourcing recorder {fmt(their_single)}; "
           f"ratio {single / their_single:.2f}  (target >= 2,000 events/s, ratio >= 1)")
    report(f"append, 1 event/transaction, 8 concurrent writers ({SINGLE} events): "
           f"{fmt(concurrent)}; eventsourcing recorder (8 threads) {fmt(their_concurrent)}; "
           f"ratio {concurrent / their_concurrent:.2f}")
    report(f"append, 100 events/transaction ({BATCHED} events): {fmt(batched)}; "
           f"eventsourcing recorder {fmt(their_batched)}; ratio {batched / their_batched:.2f}"
           "  (target >= 50,000 events/s, ratio >= 1)")
    report(f"relay -> Kafka -> consumer ({RELAYED} events; relay and consumer in two "
           f"processes, as deployed): {fmt(relayed)} "
           f"(runs: {', '.join(f'{r:,.0f}' for r in rates)}; target >= 20,000 events/s)")
    return {"single": single, "concurrent": concurrent, "batched": batched, "relayed": relayed,
            "single_ratio": single / their_single, "batched_ratio": batched / their_batched}
