"""The referral side of coaching's e2e tests: a client's referral history published straight
to polku.referral.v1, and readers of what the coaching service did with it."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import RecordMetadata

from contracts.codes import (
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
    ReferralAccepted,
    ReferralMade,
)
from contracts.topics import COACHING_TOPIC, REFERRAL_TOPIC

COACHING_ORG = "kymenlaakso-ngo"
REFERRER_ORG = "kymenlaakso-employment"


@dataclass
class ReferralHistory:
    """ClientRegistered, ReferralMade, ReferralAccepted and CaseOpened of one new client."""

    organisation_id: str = COACHING_ORG
    service: ServiceKind = ServiceKind.JOB_COACHING
    client_id: uuid.UUID = field(default_factory=uuid.uuid4)
    referral_id: uuid.UUID = field(default_factory=uuid.uuid4)
    case_id: uuid.UUID = field(default_factory=uuid.uuid4)
    worker_id: uuid.UUID = field(default_factory=uuid.uuid4)
    accepting_actor: uuid.UUID = field(default_factory=uuid.uuid4)
    envelopes: list[Envelope] = field(default_factory=list)

    def __post_init__(self) -> None:
        at = datetime.now(UTC) - timedelta(days=2)
        referrer = (REFERRER_ORG, Role.EMPLOYMENT_EXPERT, str(uuid.uuid4()), "c-register")
        self._add(ClientRegistered(client_id=self.client_id, birth_year=1980, sex=Sex.FEMALE,
                                   home_region=RegionCode.KYMENLAAKSO, occurred_at=at), *referrer)
        self._add(ReferralMade(
            referral_id=self.referral_id, client_id=self.client_id,
            referring_organisation_id=REFERRER_ORG,
            referring_org_kind=ReferringOrgKind.EMPLOYMENT_SERVICES,
            target_organisation_id=self.organisation_id, target_service=self.service,
            reasons=[ReferralReason.LONG_TERM_UNEMPLOYMENT], triage=Triage.YELLOW,
            unemployment_months=14, occurred_at=at), *referrer[:3], "c-refer")
        accepting = (self.organisation_id, Role.TEAM_LEAD, str(self.accepting_actor), "c-accept")
        self._add(ReferralAccepted(referral_id=self.referral_id, client_id=self.client_id,
                                   case_id=self.case_id, occurred_at=at), *accepting)
        self._add(CaseOpened(
            case_id=self.case_id, client_id=self.client_id,
            organisation_id=self.organisation_id, service=self.service,
            referral_id=self.referral_id, responsible_worker_id=self.worker_id,
            occurred_at=at), *accepting)

    def _add(self, event: Event, org: str, role: Role, actor: str, correlation: str) -> None:
        self.envelopes.append(Envelope.for_event(
            event, source="polku/referral", streamversion=1 if "Accepted" not in
            event.event_type else 2, correlationid=f"{correlation}-{self.client_id}",
            actororg=org, actorrole=role, actor=actor,
        ))

    @property
    def case_opened(self) -> Envelope:
        return self.envelopes[-1]


async def publish(bootstrap: str, envelopes: list[Envelope]) -> list[RecordMetadata]:
    """Publish as the referral relay does: value = envelope, key = clientid (or subject)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        return [
            await producer.send_and_wait(REFERRAL_TOPIC, e.to_json_bytes(),
                                         key=e.kafka_key.encode())
            for e in envelopes
        ]
    finally:
        await producer.stop()


async def wait_for(predicate: Callable[[], Awaitable[bool]], *, what: str,
                   timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)


async def wait_consumed(database_url: str, sent: RecordMetadata) -> None:
    """Until the coaching consumer has stored an offset past `sent` (with its effects)."""
    conn = await asyncpg.connect(database_url)
    try:
        async def consumed() -> bool:
            offset = await conn.fetchval(
                """SELECT next_offset FROM consumer_offsets
                   WHERE consumer = 'coaching' AND topic = $1 AND partition = $2""",
                sent.topic, sent.partition,
            )
            return offset is not None and offset > sent.offset

        await wait_for(consumed, what=f"coaching to consume offset {sent.offset}")
    finally:
        await conn.close()


async def wait_relayed(database_url: str) -> None:
    """Until the relay has published every stored event."""
    conn = await asyncpg.connect(database_url)
    try:
        async def relayed() -> bool:
            behind = await conn.fetchval(
                """SELECT count(*) FROM events e
                   WHERE NOT EXISTS (SELECT 1 FROM relay_checkpoints c
                                     WHERE (e.transaction_id, e.position)
                                           <= (c.transaction_id, c.position))""")
            return int(behind) == 0

        await wait_for(relayed, what="the relay to publish every event")
    finally:
        await conn.close()


async def coaching_messages(bootstrap: str, client_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every envelope about the client on polku.coaching.v1, in topic order (one key, one
    partition: the order the service appended them)."""
    consumer = AIOKafkaConsumer(COACHING_TOPIC, bootstrap_servers=bootstrap,
                                enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        for _ in range(100):  # without a group, every partition is assigned at once
            partitions = sorted(consumer.assignment())
            if partitions:
                break
            await asyncio.sleep(0.05)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        out: list[dict[str, Any]] = []
        while [tp for tp in partitions if await consumer.position(tp) < end[tp]]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                out.extend(json.loads(r.value) for r in records)
        return [m for m in out if m.get("clientid") == str(client_id)]
    finally:
        await consumer.stop()
