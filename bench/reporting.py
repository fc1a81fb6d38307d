"""Reporting benchmarks: replay from the local event log and from the topics, and the delay
from an event's append in a service to its visibility in reporting at a steady rate.

POLKU_BENCH_EVENTS (default 1 000 000) sets the replay size, POLKU_BENCH_LATENCY_SECONDS
(default 20) and POLKU_BENCH_LATENCY_RATE (default 500 events/s) the latency run.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import asyncpg

from bench.context import fmt, median_rate
from bench.synthetic import events
from contracts.envelope import Envelope
from polku.infra import Infrastructure
from services.reporting.consumer import reporting_consumer
from services.reporting.projections import project
from services.reporting.replay import replay
from services.runtime.consumer import BatchConsumer
from services.runtime.eventstore import NewEvent, PostgresEventStore, StreamAppend
from services.runtime.kafka_clients import KafkaConnection
from services.runtime.migrate import apply_migrations
from services.runtime.relay import Relay
from services.runtime.service import make_broker
from services.runtime.settings import ServiceSettings
from services.runtime.topics import KEEP_FOREVER, delete_topics, ensure_topics

Report = Callable[[str], None]

EVENTS = int(os.environ.get("POLKU_BENCH_EVENTS", "1000000"))
LATENCY_SECONDS = float(os.environ.get("POLKU_BENCH_LATENCY_SECONDS", "20"))
LATENCY_RATE = float(os.environ.get("POLKU_BENCH_LATENCY_RATE", "500"))
FILL_BATCH = 50_000
SEED = 7


class Progress:
    """Report lines at most every `every` seconds, and once at the end, of a long phase."""

    def __init__(self, report: Report, what: str, every: float = 5.0) -> None:
        self.report, self.what, self.every = report, what, every
        self.started: float | None = None
        self.last = 0.0
        self.finished = False

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if self.started is None:
            self.started = self.last = now
        end = bool(total) and done >= total
        if self.finished or not (now - self.last >= self.every or end):
            return
        self.last, self.finished = now, end
        elapsed = now - self.started
        rate = f", {done / elapsed:,.0f} events/s" if elapsed > 0 else ""
        share = f" ({done / total:.0%})" if total else ""
        self.report(f"  {self.what}: {done:,}/{total:,}{share}, {elapsed:.0f} s{rate}")


async def _reporting_db(infra: Infrastructure, label: str) -> tuple[str, str]:
    name = f"bench_{label}_{uuid.uuid4().hex[:8]}"
    url = await infra.adatabase_url(name)
    conn = await asyncpg.connect(url)
    try:
        await apply_migrations(conn, "services.runtime", "services.reporting")
    finally:
        await conn.close()
    return name, url


def _batches(count: int, size: int) -> Iterator[list[Envelope]]:
    batch: list[Envelope] = []
    for _, envelope in events(count, SEED):
        batch.append(Envelope.model_validate(envelope))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


async def _fill_event_log(url: str, count: int, report: Report) -> float:
    """event_log and facts as the live consumer leaves them; returns the projection rate."""
    progress = Progress(report, "projecting into event_log")
    conn = await asyncpg.connect(url)
    done = 0
    try:
        started = time.perf_counter()
        for batch in _batches(count, FILL_BATCH):
            async with conn.transaction():
                await project(conn, batch)
            done += len(batch)
            progress(done, count)
        elapsed = time.perf_counter() - started
        await conn.execute("VACUUM ANALYZE event_log")
    finally:
        await conn.close()
    return done / elapsed


async def _rebuild_from_log(url: str, count: int, report: Report, repeats: int
                            ) -> tuple[float, list[float]]:
    """`polku replay` without --from-topics: rebuild every fact table from event_log."""
    async def run() -> tuple[int, float]:
        progress = Progress(report, "replay from event_log")
        started = time.perf_counter()
        result = await replay(url, progress=lambda _phase, done, total: progress(done, total))
        elapsed = time.perf_counter() - started
        if result.rebuilt != count:
            raise AssertionError(f"rebuild saw {result.rebuilt} events, expected {count}")
        report(f"  replay from event_log: {count:,} events in {elapsed:.1f} s = "
               f"{fmt(count / elapsed)}")
        return count, elapsed

    return await median_rate(run, repeats)


async def _publish(
    kafka: KafkaConnection, topics: dict[str, str], count: int, report: Report
) -> float:
    await ensure_topics(kafka, topics.values(), partitions=3, config=KEEP_FOREVER)
    producer = kafka.producer(
        acks="all", enable_idempotence=True, linger_ms=20,
        max_batch_size=1024 * 1024, max_request_size=8 * 1024 * 1024,
    )
    await kafka.start(producer)
    progress = Progress(report, "publishing to fresh topics")
    started = time.perf_counter()
    try:
        pending: list[asyncio.Future[Any]] = []
        for done, (topic, envelope) in enumerate(events(count, SEED), 1):
            value = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
            key = (envelope.get("clientid") or envelope["subject"]).encode()
            pending.append(await producer.send(topics[topic], value, key=key))
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending.clear()
                progress(done, count)
        await asyncio.gather(*pending)
        progress(count, count)
    finally:
        await producer.stop()
    return count / (time.perf_counter() - started)


async def _replay_from_topics(infra: Infrastructure, topics: list[str], count: int,
                              report: Report, repeats: int) -> tuple[float, list[float]]:
    async def run() -> tuple[int, float]:
        name, url = await _reporting_db(infra, "topics")
        progresses: dict[str, Progress] = {}
        last: dict[str, float] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in progresses:
                progresses[phase] = Progress(report, f"replay: {phase}")
                progresses[phase].started = max(last.values(), default=started)
            progresses[phase](done, total)
            last[phase] = time.perf_counter()

        started = time.perf_counter()
        try:
            result = await replay(url, from_topics=True,
                                  kafka=KafkaConnection(infra.kafka_bootstrap),
                                  topics=topics, progress=progress)
            elapsed = time.perf_counter() - started
        finally:
            await infra.drop_database(name)
        if result.new != count or result.rebuilt != count:
            raise AssertionError(f"replay from topics: {result}, expected {count} events")
        read_end = last.get("topics", started)
        report(f"  replay from topics: {count:,} events in {elapsed:.1f} s = "
               f"{fmt(count / elapsed)} (reading the topics into event_log, the served and "
               f"the new projections {read_end - started:.1f} s; indexing the new projections "
               f"and the swap {started + elapsed - read_end:.1f} s)")
        return count, elapsed

    return await median_rate(run, repeats)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def _latency(infra: Infrastructure, report: Report, *, rate: float, seconds: float
                   ) -> dict[str, float]:
    """Append at `rate` events/s in a write service; time until reporting shows each one."""
    count = int(rate * seconds)
    topic = f"bench.latency.{uuid.uuid4().hex[:8]}"
    await ensure_topics(KafkaConnection(infra.kafka_bootstrap), [topic], partitions=3)
    write_name = f"bench_write_{uuid.uuid4().hex[:8]}"
    write_url = await infra.adatabase_url(write_name)
    read_name, read_url = await _reporting_db(infra, "latency")
    write_pool = await asyncpg.create_pool(write_url, min_size=4, max_size=8)
    read_pool = await asyncpg.create_pool(read_url, min_size=2, max_size=4)
    async with write_pool.acquire() as conn:
        await apply_migrations(conn, "services.runtime")
    settings = ServiceSettings(kafka_bootstrap_servers=infra.kafka_bootstrap)
    # As a service runs them: default relay and consumer settings, one broker per service.
    write_broker = make_broker(settings, "bench-write")
    read_broker = make_broker(settings, "bench-reporting")
    spec = replace(reporting_consumer(f"bench-reporting-{uuid.uuid4().hex[:8]}"),
                   topics=(topic,))
    BatchConsumer(spec, pool=read_pool, broker=read_broker,
                  max_records=settings.polku_consumer_max_records,
                  retries=settings.polku_consumer_retries)
    relay = Relay(name="bench", pool=write_pool, broker=write_broker, topic=topic,
                  batch_size=settings.polku_relay_batch_size,
                  idle_seconds=settings.polku_relay_idle_seconds)
    await write_broker.start()
    await read_broker.start()
    relay_task = asyncio.create_task(relay.run())

    # A fresh history recorded now; clients spread over workers so each stream's versions
    # stay in order while appends of different clients overlap, as in a busy service.
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    planned: list[tuple[int, dict[str, Any]]] = []
    for i, (_, envelope) in enumerate(events(count, seed=uuid.uuid4().int & 0xFFFF)):
        planned.append((i, {**envelope, "time": now}))
    workers = 4
    appended: dict[uuid.UUID, float] = {}
    visible: dict[uuid.UUID, float] = {}
    done_appending = asyncio.Event()
    store = PostgresEventStore(write_pool)

    # Warm-up: let the consumer join its group and the relay run before measuring.
    await asyncio.sleep(3.0)

    async def appender(k: int, start: float) -> None:
        loop = asyncio.get_running_loop()
        for i, envelope in planned:
            if hash(envelope["clientid"]) % workers != k:
                continue
            delay = start + i / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            event = NewEvent(
                event_id=uuid.UUID(envelope["id"]), event_type=envelope["type"],
                client_id=uuid.UUID(envelope["clientid"]),
                recorded_at=datetime.now(UTC),
                envelope=json.dumps(envelope, separators=(",", ":")),
            )
            await store.append([StreamAppend(envelope["subject"],
                                             envelope["streamversion"] - 1, [event])])
            appended[event.event_id] = time.time()

    async def watcher() -> None:
        async with read_pool.acquire() as conn:
            while True:
                pending = [i for i in appended if i not in visible]
                if pending:
                    rows = await conn.fetch(
                        "SELECT event_id FROM event_log WHERE event_id = ANY($1::uuid[])",
                        pending)
                    seen = time.time()
                    for r in rows:
                        visible[r["event_id"]] = seen
                elif done_appending.is_set() and len(visible) >= count:
                    return
                await asyncio.sleep(0.01)

    watch = asyncio.create_task(watcher())
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        await asyncio.gather(*(appender(k, started) for k in range(workers)))
        append_seconds = loop.time() - started
        done_appending.set()
        await asyncio.wait_for(watch, timeout=120)
    finally:
        watch.cancel()
        relay_task.cancel()
        await asyncio.gather(relay_task, return_exceptions=True)
        await write_broker.stop()
        await read_broker.stop()
        await write_pool.close()
        await read_pool.close()
        await infra.drop_database(write_name)
        await infra.drop_database(read_name)
        await delete_topics(KafkaConnection(infra.kafka_bootstrap), [topic])
    delays = [(visible[i] - appended[i]) * 1000 for i in appended]
    return {"events": count, "achieved_rate": count / append_seconds,
            "median_ms": statistics.median(delays), "p99_ms": _percentile(delays, 0.99),
            "max_ms": max(delays)}


async def run_reporting(infra: Infrastructure, report: Report, repeats: int = 3
                        ) -> dict[str, float]:
    count = EVENTS
    report(f"reporting benchmarks: {count:,} synthetic events (POLKU_BENCH_EVENTS), "
           f"{repeats} run(s) each; medians, figures are noisy on a shared 2-core machine")

    # 1. Replay from the local event log.
    log_name, log_url = await _reporting_db(infra, "log")
    try:
        projected = await _fill_event_log(log_url, count, report)
        rebuilt, rebuild_rates = await _rebuild_from_log(log_url, count, report, repeats)
    finally:
        await infra.drop_database(log_name)

    # 2. Replay from the topics (fresh topic names, never the session's own).
    suffix = uuid.uuid4().hex[:8]
    topics = {t: f"bench.{suffix}.{t}" for t in ("polku.referral.v1", "polku.assessment.v1")}
    try:
        published = await _publish(KafkaConnection(infra.kafka_bootstrap), topics, count, report)
        from_topics, topic_rates = await _replay_from_topics(
            infra, list(topics.values()), count, report, repeats)
    finally:
        await delete_topics(KafkaConnection(infra.kafka_bootstrap), list(topics.values()))

    # 3. Append-to-visible delay at a steady rate.
    latency = await _latency(infra, report, rate=LATENCY_RATE, seconds=LATENCY_SECONDS)

    runs = lambda rates: ", ".join(f"{r:,.0f}" for r in rates)  # noqa: E731
    report(f"live projection while filling ({count:,} events, {FILL_BATCH:,}/transaction): "
           f"{fmt(projected)}  (setup, no target)")
    report(f"replay from the local event log ({count:,} events): {fmt(rebuilt)} "
           f"(runs: {runs(rebuild_rates)}; target >= 50,000 events/s)")
    report(f"publishing to fresh topics ({count:,} events): {fmt(published)}  (setup)")
    report(f"replay from the topics into an empty event_log ({count:,} events, all phases): "
           f"{fmt(from_topics)} (runs: {runs(topic_rates)}; target >= 20,000 events/s)")
    report(f"append -> visible in reporting at {LATENCY_RATE:,.0f} events/s "
           f"({latency['events']:,} events, achieved {latency['achieved_rate']:,.0f}/s): "
           f"median {latency['median_ms']:,.0f} ms, p99 {latency['p99_ms']:,.0f} ms, "
           f"max {latency['max_ms']:,.0f} ms  (target p99 <= 1,000 ms)")
    return {"rebuild": rebuilt, "from_topics": from_topics, "projected": projected,
            "published": published, **{f"latency_{k}": v for k, v in latency.items()}}
