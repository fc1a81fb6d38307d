"""The live consumer's projection rate into a loaded reporting database: new events published
to a fresh topic, consumed by the reporting consumer (BatchConsumer with its defaults, as
`polku serve` runs it), once alone and once while a loop of indicator queries runs."""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import replace

import asyncpg

from bench.indicator_queries import Period, combinations, indicator_rows, interrupted
from bench.scale import History
from polku.infra import Infrastructure
from services.reporting.app import session_settings
from services.reporting.consumer import reporting_consumer
from services.runtime import topics as topic_admin
from services.runtime.consumer import BatchConsumer
from services.runtime.kafka_clients import KafkaConnection
from services.runtime.service import make_broker
from services.runtime.settings import ServiceSettings

Report = Callable[[str], None]
CONSUMED = int(os.environ.get("POLKU_BENCH_CONSUMER_EVENTS", "50000"))


async def _publish(bootstrap: str, topic: str, seed: int, count: int) -> None:
    kafka = KafkaConnection(bootstrap)
    await topic_admin.ensure_topics(kafka, [topic], partitions=3)
    producer = kafka.producer(acks="all", enable_idempotence=True, linger_ms=20,
                              max_batch_size=1024 * 1024)
    await kafka.start(producer)
    try:
        from pydantic_core import to_json

        pending = []
        for envelope in History(seed=seed).envelopes(count):
            key = (envelope.get("clientid") or envelope["subject"]).encode()
            pending.append(await producer.send(topic, to_json(envelope), key=key))
            if len(pending) >= 10_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def _query_loop(url: str, period: Period, stop: asyncio.Event) -> int:
    """Indicator queries one after another (every indicator and key) until `stop`."""
    conn = await asyncpg.connect(url, server_settings=session_settings(ServiceSettings()))
    done = 0
    try:
        await conn.execute("SET statement_timeout = 60000")
        while not stop.is_set():
            for indicator, group in combinations():
                if stop.is_set():
                    break
                try:
                    await indicator_rows(conn, indicator, list(group), period, period.as_of)
                    done += 1
                except asyncpg.QueryCanceledError:
                    interrupted()
    finally:
        await conn.close()
    return done


async def _consume(infra: Infrastructure, url: str, topic: str, count: int,
                   queries: Period | None) -> tuple[float, int]:
    """Events/s from the first to the last event projected; queries answered meanwhile."""
    settings = ServiceSettings(kafka_bootstrap_servers=infra.kafka_bootstrap)
    pool = await asyncpg.create_pool(url, min_size=2, max_size=4,
                                     server_settings=session_settings(settings))
    broker = make_broker(settings, "bench-indicators")
    spec = replace(reporting_consumer(f"bench-rate-{uuid.uuid4().hex[:8]}"), topics=(topic,))
    BatchConsumer(spec, pool=pool, broker=broker,
                  max_records=settings.polku_consumer_max_records,
                  retries=settings.polku_consumer_retries)
    stop = asyncio.Event()
    loop = asyncio.create_task(_query_loop(url, queries, stop)) if queries else None
    position = "SELECT events FROM projection_position"
    start = await pool.fetchval(position)
    first: tuple[float, int] | None = None
    try:
        await broker.start()
        deadline = time.perf_counter() + 900
        while (seen := await pool.fetchval(position) - start) < count:
            if first is None and seen:
                first = (time.perf_counter(), seen)
            if time.perf_counter() > deadline:
                raise TimeoutError(f"the consumer projected {seen} of {count} in 900 s")
            await asyncio.sleep(0.05)
        ended = time.perf_counter()
    finally:
        stop.set()
        answered = await loop if loop else 0
        await broker.stop()
        await pool.close()
    began, already = first or (ended, 0)
    return (count - already) / max(ended - began, 1e-9), answered


async def consumer_rates(infra: Infrastructure, url: str, period: Period, report: Report
                         ) -> list[str]:
    # A consumer group's coordinator changes are logged per message at INFO/WARNING: noise.
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
    suffix = uuid.uuid4().hex[:8]
    topics = [f"bench.rate.{suffix}.idle", f"bench.rate.{suffix}.busy"]
    report(f"consumer: publishing 2 x {CONSUMED:,} new events (POLKU_BENCH_CONSUMER_EVENTS)")
    try:
        # New clients (other seeds), so the events are new to event_log.
        for i, topic in enumerate(topics):
            await _publish(infra.kafka_bootstrap, topic, 1_000_003 + i, CONSUMED)
        idle, _ = await _consume(infra, url, topics[0], CONSUMED, None)
        busy, answered = await _consume(infra, url, topics[1], CONSUMED, period)
    finally:
        await topic_admin.delete_topics(KafkaConnection(infra.kafka_bootstrap), topics)
    return [f"live consumer into the loaded database: {idle:,.0f} events/s alone; "
            f"{busy:,.0f} events/s while a query loop runs ({answered} indicator queries "
            f"answered meanwhile)"]
