"""Helpers of the referral end-to-end tests: people, the topic, the leak scan, row counts."""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import ConsumerRecord

from contracts.topics import REFERRAL_TOPIC
from tests.unit.referral.builders import random_identity_code

_FIRST = ("Aino", "Eero", "Helmi", "Ilmari", "Kerttu", "Lauri", "Mielikki", "Onni", "Sanni")
_LAST = ("Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Hämäläinen", "Laaksonen", "Heikkinen")


@dataclass
class PeopleUsed:
    """Every identity code and name a test sent: none may appear in a log line or message."""

    secrets: set[str] = field(default_factory=set)

    def person(self, home_region: str = "kymenlaakso") -> dict[str, str]:
        # A random suffix makes names unique strings, so a leak is never a coincidence.
        tag = uuid.uuid4().hex[:6]
        body = {"identity_code": random_identity_code(), "first_name":
                f"{random.choice(_FIRST)}{tag}", "last_name": f"{random.choice(_LAST)}{tag}",
                "home_region": home_region}
        self.secrets.update((body["identity_code"], body["first_name"], body["last_name"]))
        return body

    def remember(self, *values: str) -> None:
        self.secrets.update(values)

    def found_in(self, text: str) -> list[str]:
        return sorted(s for s in self.secrets if s in text)


PEOPLE = PeopleUsed()


async def topic_records(bootstrap: str, topic: str = REFERRAL_TOPIC) -> list[ConsumerRecord]:
    """Every message on the topic, from the beginning to the current end."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    partitions = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
    if not partitions:
        return []
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                group_id=None)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord] = []
        while [p for p in partitions if await consumer.position(p) < end[p]]:
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(batch)
        return records
    finally:
        await consumer.stop()


def envelopes_of(records: list[ConsumerRecord], client_id: str) -> list[dict[str, Any]]:
    out = []
    for record in records:
        envelope = json.loads(record.value)
        if envelope.get("clientid") == client_id:
            assert record.key.decode() == client_id
            out.append(envelope)
    return out


async def wait_until_published(svc: Any, timeout: float = 20.0) -> None:
    """Wait until the relay has published every stored event."""
    deadline = time.monotonic() + timeout
    while True:
        relay = svc.ctx.relay
        if await svc.ctx.store.count_after(await relay.checkpoint()) == 0:
            return
        if time.monotonic() > deadline:
            raise AssertionError("the relay did not publish every stored event in time")
        await asyncio.sleep(0.05)


async def row_counts(pool: asyncpg.Pool) -> tuple[int, int, int]:
    """events, personal_data rows, idempotency records: what a refused command must not add."""
    row = await pool.fetchrow(
        """SELECT (SELECT count(*) FROM events) AS events,
                  (SELECT count(*) FROM personal_data) AS people,
                  (SELECT count(*) FROM idempotency_keys) AS keys""")
    return int(row["events"]), int(row["people"]), int(row["keys"])


async def scan_topic_for_people(bootstrap: str) -> None:
    raw = b"\n".join(r.value for r in await topic_records(bootstrap))
    leaked = PEOPLE.found_in(raw.decode("utf-8"))
    assert not leaked, f"{len(leaked)} identity codes or names found on {REFERRAL_TOPIC}"


class ThreadedReferral:
    """The referral service on its own thread (for hypothesis and schemathesis), with a
    synchronous HTTP client and synchronous row counts of its database."""

    def __init__(self, infra: Any, kafka_bootstrap: str) -> None:
        from services.referral.app import definition
        from tests.support.services import ServiceThread

        self.infra = infra
        self.database = f"test_{uuid.uuid4().hex[:12]}"
        self.database_url = infra.database_url(self.database)
        self.thread = ServiceThread(definition, database_url=self.database_url,
                                    kafka_bootstrap=kafka_bootstrap)
        self.base_url = self.thread.base_url

    def __enter__(self) -> ThreadedReferral:
        import httpx

        self.thread.start()
        self.http = httpx.Client(base_url=self.base_url, timeout=30.0)
        return self

    def __exit__(self, *_: object) -> None:
        from polku.stack import run_sync

        self.http.close()
        self.thread.stop()
        run_sync(self.infra.drop_database(self.database))

    def counts(self) -> tuple[int, int, int]:
        from polku.stack import run_sync

        async def count() -> tuple[int, int, int]:
            pool = await asyncpg.create_pool(self.database_url, min_size=1, max_size=1)
            try:
                return await row_counts(pool)
            finally:
                await pool.close()

        return run_sync(count())
