"""What the assessment e2e tests share: a stand-in for the referral service that publishes
its events straight to `polku.referral.v1`, a reader of `polku.assessment.v1`, and views of
the access tables."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from contracts.codes import (
    ConsentScope,
    ReferralReason,
    ReferringOrgKind,
    RegionCode,
    Role,
    ServiceKind,
    Sex,
    Triage,
)
from contracts.envelope import Envelope
from contracts.events.base import Event
from contracts.events.referral import (
    CaseOpened,
    ClientRegistered,
    ConsentGiven,
    ConsentWithdrawn,
    ReferralAccepted,
    ReferralMade,
)
from contracts.topics import ASSESSMENT_TOPIC, REFERRAL_TOPIC
from tests.integration.runtime.support import wait_for

REFERRER = "kymenlaakso-employment"
TEAM = "kymenlaakso-sote"
CONSENTED = "kymenlaakso-kela"
STRANGER = "kymenlaakso-ngo"

ACCESS_TABLES = ("access_events", "access_cases")


@dataclass
class Published:
    envelopes: list[Envelope]
    offsets: dict[int, int]  # partition → offset of the last record sent there


@dataclass
class ReferralUpstream:
    """Publishes referral events as the referral service would (envelope, key = clientid)."""

    producer: AIOKafkaProducer
    versions: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @classmethod
    async def start(cls, bootstrap: str) -> ReferralUpstream:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                    enable_idempotence=True)
        await producer.start()
        return cls(producer)

    async def stop(self) -> None:
        await self.producer.stop()

    async def publish(self, *events: Event, org: str = REFERRER,
                      role: Role = Role.EMPLOYMENT_EXPERT) -> Published:
        envelopes = []
        for event in events:
            self.versions[event.stream_id] += 1
            envelopes.append(Envelope.for_event(
                event, source="polku/referral", streamversion=self.versions[event.stream_id],
                correlationid=str(uuid.uuid4()), actororg=org, actorrole=role,
                actor=str(uuid.uuid4()),
            ))
        return await self.send(envelopes)

    async def send(self, envelopes: list[Envelope]) -> Published:
        """Send envelopes as they are: sending the same ones again is a redelivery."""
        offsets: dict[int, int] = {}
        for envelope in envelopes:
            meta = await self.producer.send_and_wait(
                REFERRAL_TOPIC, envelope.to_json_bytes(), key=envelope.kafka_key.encode())
            offsets[meta.partition] = max(offsets.get(meta.partition, -1), meta.offset)
        return Published(envelopes, offsets)


def now() -> datetime:
    return datetime.now(UTC)


def registered(client_id: uuid.UUID) -> ClientRegistered:
    return ClientRegistered(client_id=client_id, birth_year=1979, sex=Sex.FEMALE,
                            home_region=RegionCode.KYMENLAAKSO, occurred_at=now())


def referred_and_opened(
    client_id: uuid.UUID, *, service: ServiceKind = ServiceKind.WORK_ABILITY_ASSESSMENT,
    referrer: str = REFERRER, target: str = TEAM,
) -> tuple[list[Event], uuid.UUID]:
    """ReferralMade, ReferralAccepted, CaseOpened: the team at `target` holds a new case."""
    referral_id, case_id = uuid.uuid4(), uuid.uuid4()
    events: list[Event] = [
        ReferralMade(
            referral_id=referral_id, client_id=client_id, referring_organisation_id=referrer,
            referring_org_kind=ReferringOrgKind.EMPLOYMENT_SERVICES,
            target_organisation_id=target, target_service=service,
            reasons=[ReferralReason.SUSPECTED_REDUCED_WORK_ABILITY], triage=Triage.RED,
            unemployment_months=14, occurred_at=now(),
        ),
        ReferralAccepted(referral_id=referral_id, client_id=client_id, case_id=case_id,
                         occurred_at=now()),
        CaseOpened(case_id=case_id, client_id=client_id, organisation_id=target,
                   service=service, referral_id=referral_id,
                   responsible_worker_id=uuid.uuid4(), occurred_at=now()),
    ]
    return events, case_id


def consent_given(client_id: uuid.UUID, *organisations: str) -> ConsentGiven:
    return ConsentGiven(client_id=client_id, consent_id=uuid.uuid4(),
                        scope=ConsentScope.DATA_SHARING, organisation_ids=list(organisations),
                        valid_until=None, occurred_at=now())


def consent_withdrawn(given: ConsentGiven) -> ConsentWithdrawn:
    return ConsentWithdrawn(client_id=given.client_id, consent_id=given.consent_id,
                            occurred_at=now())


async def consumed(pool: asyncpg.Pool, published: Published, *, timeout: float = 60) -> None:
    """Wait until the service's referral consumer has gone past everything just sent."""

    async def done() -> bool:
        rows = await pool.fetch(
            """SELECT partition, next_offset FROM consumer_offsets
               WHERE consumer = 'assessment' AND topic = $1""", REFERRAL_TOPIC)
        stored = {r["partition"]: r["next_offset"] for r in rows}
        return all(stored.get(p, 0) > offset for p, offset in published.offsets.items())

    await wait_for(done, timeout=timeout, what="the referral consumer to catch up")


async def access_tables(pool: asyncpg.Pool) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every access table, in a stable order."""
    snapshot = {}
    for table in ACCESS_TABLES:
        rows = await pool.fetch(f"SELECT * FROM {table}")  # table names are constants
        snapshot[table] = sorted(tuple(str(v) for v in r.values()) for r in rows)
    return snapshot


async def events_count(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM events"))


async def assessment_topic_for(
    bootstrap: str, client_id: uuid.UUID, *, expected: int, timeout: float = 30
) -> list[dict[str, Any]]:
    """The envelopes about `client_id` on polku.assessment.v1 (a topic the whole session
    shares), once at least `expected` have arrived; then a short wait for any extra."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                group_id=None)
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()
        partitions = [TopicPartition(ASSESSMENT_TOPIC, p)
                      for p in sorted(cluster.partitions_for_topic(ASSESSMENT_TOPIC) or [])]
        assert partitions, f"{ASSESSMENT_TOPIC} does not exist"
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        key = str(client_id).encode()
        found: list[dict[str, Any]] = []
        deadline = asyncio.get_running_loop().time() + timeout
        settle: float | None = None
        while asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                found += [Envelope.from_json_bytes(r.value).to_dict() for r in records
                          if r.key == key and r.value]
            if len(found) >= expected:
                settle = settle or asyncio.get_running_loop().time() + 1.0
                if asyncio.get_running_loop().time() > settle:
                    break
        return found
    finally:
        await consumer.stop()
