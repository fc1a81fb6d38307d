"""Contract-valid pathways as published envelopes, publishing them, and waiting for reporting."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from contracts.codes import Role
from contracts.envelope import Envelope
from contracts.events import assessment as a
from contracts.events import coaching as c
from contracts.events import referral as r
from contracts.events.base import Event
from contracts.registry import topic_of
from contracts.topics import SERVICE_TOPICS
from services.reporting.consumer import TOPICS
from services.runtime.dlq import partitions_of
from services.runtime.kafka_clients import KafkaConnection
from services.runtime.topics import KEEP_FOREVER, ensure_topics

HELSINKI = ZoneInfo("Europe/Helsinki")
SOURCE_BY_TOPIC = {topic: f"polku/{service}" for service, topic in SERVICE_TOPICS.items()}
SOTE, EMPLOYMENT, KELA, NGO = (
    "kymenlaakso-sote", "kymenlaakso-employment", "kymenlaakso-kela", "kymenlaakso-ngo",
)


def new_id() -> str:
    return str(uuid.uuid4())


def noon(day: str | date) -> datetime:
    on = date.fromisoformat(day) if isinstance(day, str) else day
    return datetime(on.year, on.month, on.day, 12, tzinfo=HELSINKI)


class Pathways:
    """Builds envelopes with the contracts' event models; recorded one second apart."""

    def __init__(self, start: datetime = datetime(2020, 1, 1, tzinfo=UTC)) -> None:
        self.envelopes: list[Envelope] = []
        self._clock = start

    def emit(self, model: type[Event], on: str | date, *, org: str = SOTE,
             role: Role = Role.SOCIAL_WORKER, **fields: Any) -> Envelope:
        event = model.model_validate({**fields, "occurred_at": noon(on)})
        self._clock = max(self._clock + timedelta(seconds=1), noon(on))
        envelope = Envelope.for_event(
            event, source=SOURCE_BY_TOPIC[topic_of(model.event_type)], streamversion=1,
            correlationid=new_id(), actororg=org, actorrole=role, actor=new_id(),
            time=self._clock,
        )
        self.envelopes.append(envelope)
        return envelope

    @property
    def ids(self) -> list[uuid.UUID]:
        return [e.id for e in self.envelopes]

    # referral ---------------------------------------------------------------------
    def client(self, on: str = "2008-01-02", region: str = "kymenlaakso",
               birth_year: int = 1980) -> str:
        client_id = new_id()
        self.emit(r.ClientRegistered, on, client_id=client_id, birth_year=birth_year,
                  sex="female", home_region=region)
        return client_id

    def consent(self, client: str, on: str, scope: str, orgs: Sequence[str] = (),
                valid_until: str | None = None) -> str:
        consent_id = new_id()
        self.emit(r.ConsentGiven, on, client_id=client, consent_id=consent_id, scope=scope,
                  organisation_ids=list(orgs), valid_until=valid_until)
        return consent_id

    def withdraw(self, client: str, consent: str, on: str) -> None:
        self.emit(r.ConsentWithdrawn, on, client_id=client, consent_id=consent)

    def referral(self, client: str, on: str, *, service: str = "work_ability_assessment",
                 source: str = EMPLOYMENT, target: str = SOTE) -> str:
        referral_id = new_id()
        self.emit(r.ReferralMade, on, org=source, role=Role.EMPLOYMENT_EXPERT,
                  referral_id=referral_id, client_id=client, referring_organisation_id=source,
                  referring_org_kind="employment_services", target_organisation_id=target,
                  target_service=service, reasons=["long_term_unemployment"], triage=None,
                  unemployment_months=12)
        return referral_id

    def accept(self, referral: str, client: str, on: str, *, org: str = SOTE,
               service: str = "work_ability_assessment") -> str:
        case_id = new_id()
        self.emit(r.ReferralAccepted, on, org=org, referral_id=referral, client_id=client,
                  case_id=case_id)
        self.emit(r.CaseOpened, on, org=org, case_id=case_id, client_id=client,
                  organisation_id=org, service=service, referral_id=referral,
                  responsible_worker_id=new_id())
        return case_id

    def transfer(self, case: str, client: str, on: str, *, from_org: str, to_org: str) -> None:
        self.emit(r.ResponsibilityTransferred, on, org=from_org, case_id=case,
                  client_id=client, from_organisation_id=from_org, from_worker_id=new_id(),
                  to_organisation_id=to_org, to_worker_id=new_id())

    def close(self, case: str, client: str, on: str, exit_: str = "employment", *,
              org: str = SOTE) -> None:
        self.emit(r.CaseClosed, on, org=org, case_id=case, client_id=client,
                  exit_destination=exit_)

    # assessment -------------------------------------------------------------------
    def assessment(self, client: str, on: str | date, *, org: str = SOTE) -> str:
        assessment_id = new_id()
        self.emit(a.AssessmentStarted, on, org=org, role=Role.DOCTOR,
                  assessment_id=assessment_id, client_id=client, case_id=None,
                  organisation_id=org, kind="multiprofessional", roles=["doctor"])
        return assessment_id

    def score(self, client: str, on: str, phase: str, score: int) -> None:
        self.emit(a.WorkAbilityScoreRecorded, on, role=Role.DOCTOR, measurement_id=new_id(),
                  client_id=client, score=score, phase=phase)

    def status(self, client: str, on: str, phase: str, status: str) -> None:
        self.emit(a.LabourMarketStatusRecorded, on, measurement_id=new_id(),
                  client_id=client, phase=phase, status=status)

    def plan(self, client: str, case: str, on: str) -> None:
        self.emit(a.SupportPlanAgreed, on, plan_id=new_id(), client_id=client, case_id=case,
                  planned_services=["job_coaching"], review_on=on)

    # coaching ---------------------------------------------------------------------
    def coaching(self, client: str, on: str, *, org: str = NGO) -> str:
        engagement_id = new_id()
        self.emit(c.CoachingStarted, on, org=org, role=Role.JOB_COACH,
                  engagement_id=engagement_id, client_id=client, organisation_id=org,
                  coach_id=new_id(), case_id=None)
        return engagement_id

    def end_coaching(self, engagement: str, client: str, on: str, *, org: str = NGO) -> None:
        self.emit(c.CoachingEnded, on, org=org, role=Role.JOB_COACH, engagement_id=engagement,
                  client_id=client, outcome="employment")

    def placement(self, client: str, on: str, kind: str, *, engagement: str | None = None,
                  org: str = NGO) -> None:
        self.emit(c.PlacementStarted, on, org=org, role=Role.JOB_COACH, placement_id=new_id(),
                  engagement_id=engagement, client_id=client,
                  employer_id="kymenlaakso-employer-1", kind=kind, hours_per_week=None,
                  wage_subsidy=kind == "pay_subsidised_job")


async def publish(bootstrap: str, envelopes: Iterable[Envelope]) -> None:
    """Send the envelopes to their topics, keyed as the relay keys them."""
    await ensure_topics(KafkaConnection(bootstrap), TOPICS, config=KEEP_FOREVER)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        sent = [
            await producer.send(topic_of(e.type), e.to_json_bytes(), key=e.kafka_key.encode())
            for e in envelopes
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


def by_topic_reversed(envelopes: Sequence[Envelope]) -> list[Envelope]:
    """Coaching's events first, referral's last: every cross-topic order reversed, each
    topic's own order kept (Kafka keeps that one)."""
    return [e for topic in reversed(TOPICS) for e in envelopes if topic_of(e.type) == topic]


async def wait_for(predicate: Callable[[], Awaitable[bool]], *, timeout: float = 45.0,
                   what: str = "condition") -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.1)


async def logged(conn: asyncpg.Connection, ids: Sequence[uuid.UUID]) -> int:
    return int(await conn.fetchval(
        "SELECT count(*) FROM event_log WHERE event_id = ANY($1::uuid[])", list(ids)))


async def wait_logged(database_url: str, ids: Sequence[uuid.UUID], timeout: float = 45.0) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        async def all_there() -> bool:
            try:
                return await logged(conn, ids) == len(set(ids))
            except asyncpg.UndefinedTableError:  # not migrated yet
                return False

        await wait_for(all_there, timeout=timeout, what=f"{len(ids)} events in event_log")
    finally:
        await conn.close()


async def end_offsets(bootstrap: str) -> dict[tuple[str, int], int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        partitions = [TopicPartition(t, p) for t in TOPICS
                      for p in await partitions_of(KafkaConnection(bootstrap), t)]
        assert partitions, "the service topics have no partitions"
        ends = await consumer.end_offsets(partitions)
        return {(tp.topic, tp.partition): offset for tp, offset in ends.items()}
    finally:
        await consumer.stop()


async def wait_caught_up(database_url: str, consumer: str, bootstrap: str) -> None:
    """Until the consumer's stored offsets reach the current ends of every partition."""
    ends = await end_offsets(bootstrap)
    conn = await asyncpg.connect(database_url)
    try:
        async def caught_up() -> bool:
            rows = await conn.fetch(
                "SELECT topic, partition, next_offset FROM consumer_offsets WHERE consumer = $1",
                consumer)
            stored = {(r["topic"], r["partition"]): r["next_offset"] for r in rows}
            return all(stored.get(k, 0) >= end for k, end in ends.items() if end > 0)

        await wait_for(caught_up, what=f"{consumer} to reach the end offsets")
    finally:
        await conn.close()
