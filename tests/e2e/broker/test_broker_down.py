"""Readiness that matches the design (API.md, /readyz v2): with the broker away, the write
services start, answer commands (201/200) and stay ready, the outbox keeping the events;
the broker's absence shows in metrics; once it is back, every event is published and
projected by reporting exactly once. The broker is a Kafka of this test's own, so stopping
it leaves the session's broker to the other tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from contracts.topics import ASSESSMENT_TOPIC, REFERRAL_TOPIC
from polku.infra import Infrastructure
from polku.stack.kafka import EmbeddedKafka
from polku.stack.processes import StackError, free_port
from services.assessment.app import definition as assessment
from services.referral.app import definition as referral
from services.reporting.app import definition as reporting
from services.runtime.settings import StackSettings
from tests.e2e.referral.support import PEOPLE, topic_records
from tests.integration.runtime.support import wait_for
from tests.support.services import RunningService, auth, running_service

pytestmark = pytest.mark.slow

EMPLOYMENT, SOTE = "kymenlaakso-employment", "kymenlaakso-sote"
WORKER = str(uuid.uuid4())
# Serve after half a second without the broker; look for it every half second.
QUICK = {"polku_broker_startup_wait_seconds": 0.5, "polku_broker_check_seconds": 0.5}


@pytest.fixture
def kafka(infra: Infrastructure, tmp_path: Path) -> Iterator[EmbeddedKafka]:
    """A broker of this test's own (not started: the test starts and stops it)."""
    lib = (infra.local_stack.kafka.lib_dir if infra.local_stack and infra.local_stack.kafka
           else (StackSettings().polku_state_dir / "kafka" / "lib").resolve())
    broker = EmbeddedKafka(tmp_path, free_port(), heap="256m", lib_dir=lib)
    try:
        broker._java()
    except StackError as error:
        pytest.skip(str(error))
    try:
        yield broker
    finally:
        broker.stop()


@contextlib.asynccontextmanager
async def three_services(infra: Infrastructure, bootstrap: str
                         ) -> AsyncIterator[dict[str, RunningService]]:
    names = {name: f"test_{name}_{uuid.uuid4().hex[:8]}"
             for name in ("referral", "assessment", "reporting")}
    urls = {name: await infra.adatabase_url(db) for name, db in names.items()}
    try:
        async with contextlib.AsyncExitStack() as stack:
            running = {}
            for name, definition in (("referral", referral), ("assessment", assessment),
                                     ("reporting", reporting)):
                running[name] = await stack.enter_async_context(running_service(
                    definition, database_url=urls[name], kafka_bootstrap=bootstrap, **QUICK))
            yield running
    finally:
        for db in names.values():
            await infra.drop_database(db)


async def readiness(svc: RunningService) -> tuple[int, dict[str, object]]:
    async with svc.client() as http:
        answer = await http.get("/readyz")
    return answer.status_code, answer.json()


async def metric(svc: RunningService, name: str) -> float:
    async with svc.client() as http:
        text = (await http.get("/metrics")).text
    found = re.search(rf'^{name}{{service="{svc.ctx.name}"}} (\S+)$', text, re.MULTILINE)
    assert found, f"{name} not in /metrics of {svc.ctx.name}"
    return float(found[1])


async def register_and_refer(http: httpx.AsyncClient) -> tuple[str, str]:
    """A client (201) and a referral of them to the wellbeing team (201)."""
    client = await http.post("/clients", json=PEOPLE.person(),
                             headers=auth(EMPLOYMENT, "employment_expert"))
    assert client.status_code == 201, client.text
    client_id = client.json()["client_id"]
    made = await http.post("/referrals", headers=auth(EMPLOYMENT, "employment_expert"), json={
        "client_id": client_id, "target_organisation_id": SOTE,
        "target_service": "work_ability_assessment", "reasons": ["mental_health"],
        "triage": "yellow"})
    assert made.status_code == 201, made.text
    return client_id, made.json()["referral_id"]


async def accept(http: httpx.AsyncClient, referral_id: str) -> None:
    accepted = await http.post(f"/referrals/{referral_id}/accept",
                               headers=auth(SOTE, "team_lead", WORKER),
                               json={"responsible_worker_id": WORKER})
    assert accepted.status_code == 200, accepted.text


async def score(svc: RunningService, client_id: str) -> None:
    async with svc.client() as http:
        scored = await http.post(f"/clients/{client_id}/work-ability-scores",
                                 json={"score": 5, "phase": "baseline"},
                                 headers=auth(SOTE, "nurse"))
    assert scored.status_code == 201, scored.text


async def stored_ids(svc: RunningService) -> set[uuid.UUID]:
    return {r["event_id"] for r in await svc.ctx.pool.fetch("SELECT event_id FROM events")}


async def taken_in(consuming: RunningService, producing: RunningService) -> bool:
    """Whether `consuming`'s consumer has taken in every event `producing` stored."""
    wanted = await stored_ids(producing)
    return wanted <= await consuming.ctx.consumers[0].seen(list(wanted))


async def everything_logged(services: dict[str, RunningService]) -> bool:
    wanted = await stored_ids(services["referral"]) | await stored_ids(services["assessment"])
    logged = await services["reporting"].ctx.pool.fetchval(
        "SELECT count(*) FROM event_log WHERE event_id = ANY($1::uuid[])", list(wanted))
    return bool(logged == len(wanted))


async def test_commands_and_readiness_outlast_the_broker_and_every_event_arrives_once(
    infra: Infrastructure, kafka: EmbeddedKafka
) -> None:
    async with three_services(infra, kafka.bootstrap_servers) as services:
        ref, ass, rep = services["referral"], services["assessment"], services["reporting"]
        # 1. The broker has never answered: the services started anyway. Write services
        # are ready on their database alone; reporting is not, its consumer never started.
        assert await readiness(ref) == (200, {"ready": True, "checks": {"database": True}})
        assert await readiness(ass) == (200, {"ready": True, "checks": {"database": True}})
        assert await readiness(rep) == (503, {"ready": False, "checks": {
            "database": True, "consumers": False}})
        async with ref.client() as http:
            first_client, first_referral = await register_and_refer(http)
        assert await metric(ref, "polku_broker_reachable") == 0
        assert await metric(ref, "polku_relay_lag_events") == 2
        assert await metric(ref, "polku_relay_lag_seconds") > 0

        # 2. The broker comes: the backlog is published, reporting starts consuming.
        await asyncio.to_thread(kafka.start)
        await wait_for(lambda: everything_logged(services), timeout=120,
                       what="the backlog published and logged by reporting")
        assert (await readiness(rep))[0] == 200
        async with ref.client() as http:
            await accept(http, first_referral)
        await wait_for(lambda: everything_logged(services), timeout=60, what="the acceptance")
        await wait_for(lambda: taken_in(ass, ref), what="assessment's access facts")
        assert await metric(ref, "polku_relay_lag_events") == 0

        # 3. The broker goes: commands still succeed, every service stays ready.
        await asyncio.to_thread(kafka.stop)
        async with ref.client() as http:
            second_client, second_referral = await register_and_refer(http)
            await accept(http, second_referral)
        await score(ass, first_client)  # access facts consumed before the broker went
        for svc in services.values():
            status, body = await readiness(svc)
            assert status == 200 and body["ready"] is True, (svc.ctx.name, body)

        async def unreachable() -> bool:
            return all([await metric(s, "polku_broker_reachable") == 0
                        for s in services.values()])

        await wait_for(unreachable, timeout=30, what="polku_broker_reachable 0 everywhere")
        assert await metric(ref, "polku_relay_lag_events") == 4  # 2 appends + accept's 2
        assert await metric(ass, "polku_relay_lag_events") == 1

        # 4. The broker is back: every event published and projected, once each.
        await asyncio.to_thread(kafka.start)
        await wait_for(lambda: everything_logged(services), timeout=180,
                       what="every event published and logged by reporting")
        referral_ids, assessment_ids = await stored_ids(ref), await stored_ids(ass)
        assert len(referral_ids) == 8 and len(assessment_ids) == 1
        published = {uuid.UUID(json.loads(r.value)["id"])
                     for topic in (REFERRAL_TOPIC, ASSESSMENT_TOPIC)
                     for r in await topic_records(kafka.bootstrap_servers, topic)}
        assert published == referral_ids | assessment_ids
        log = await rep.ctx.pool.fetch(
            "SELECT event_id, count(*) AS n FROM event_log GROUP BY event_id")
        assert {r["event_id"]: r["n"] for r in log} == {
            i: 1 for i in referral_ids | assessment_ids}
        facts = await rep.ctx.pool.fetchval("SELECT count(*) FROM facts.referrals")
        assert facts == 2
        timeline_client = await rep.ctx.pool.fetchval(
            "SELECT count(*) FROM event_log WHERE client_id = $1", uuid.UUID(second_client))
        assert timeline_client == 4  # registered, referred, accepted, case opened

        async def reachable() -> bool:
            return all([await metric(s, "polku_broker_reachable") == 1
                        for s in services.values()])

        await wait_for(reachable, timeout=30, what="polku_broker_reachable 1 everywhere")
        assert await metric(ref, "polku_relay_lag_events") == 0

