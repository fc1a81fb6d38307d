"""Readiness (API.md, /readyz v2) and start-up without the broker, on a real PostgreSQL and a
Kafka address where nothing answers: a write service starts, takes commands into its outbox
and is ready on its database alone; a consuming service is not ready until its consumer runs;
a database that goes away makes either unready; a service that never reached Kafka still
stops promptly."""

from __future__ import annotations

import asyncio
import re
import uuid

from contracts.topics import COACHING_TOPIC
from polku.infra import Infrastructure
from services.runtime.intake import ConsumerSpec
from services.runtime.service import ServiceDefinition
from tests.integration.runtime.support import wait_for
from tests.integration.runtime.test_service import DEFINITION, SCORES
from tests.support.services import RunningService, auth, free_port, running_service

NO_BROKER = {"polku_broker_startup_wait_seconds": 0.2, "polku_broker_check_seconds": 0.2}


async def _nothing(conn: object, events: object) -> None:
    return None


CONSUMING = ServiceDefinition(
    name="readiness-consumer", title="test", default_port=0, routers=[],
    consumes=(COACHING_TOPIC,),
    consumers=lambda ctx: [ConsumerSpec(name=f"readiness-{uuid.uuid4().hex[:6]}",
                                        topics=(COACHING_TOPIC,),
                                        subscribed_types=frozenset(), handler=_nothing)],
)


async def gauge(svc: RunningService, name: str) -> float:
    async with svc.client() as http:
        text = (await http.get("/metrics")).text
    found = re.search(rf'^{name}{{service="{svc.ctx.name}"}} (\S+)$', text, re.MULTILINE)
    assert found, name
    return float(found[1])


async def test_a_write_service_without_broker_serves_commands_and_is_ready(
    infra: Infrastructure, database_url: str
) -> None:
    nowhere = f"127.0.0.1:{free_port()}"
    loop = asyncio.get_running_loop()
    async with running_service(DEFINITION, database_url=database_url, kafka_bootstrap=nowhere,
                               **NO_BROKER) as svc, svc.client() as http:
        ready = await http.get("/readyz")
        assert (ready.status_code, ready.json()) == (
            200, {"ready": True, "checks": {"database": True}})
        made = await http.post("/fidelity-reviews", json={"item_scores": SCORES},
                               headers=auth("kymenlaakso-ngo", "job_coach"))
        assert made.status_code == 201, made.text
        assert await gauge(svc, "polku_broker_reachable") == 0
        assert await gauge(svc, "polku_relay_lag_events") == 1
        assert svc.ctx.relay.published == 0 and not svc.ctx.link.connected.is_set()

        await infra.drop_database(database_url.rsplit("/", 1)[1].split("?")[0])
        gone = await http.get("/readyz")
        assert (gone.status_code, gone.json()) == (
            503, {"ready": False, "checks": {"database": False}})
        stopping = loop.time()
    assert loop.time() - stopping < 15, "a service that never reached Kafka stops promptly"


async def test_a_consuming_service_is_ready_only_once_its_consumer_runs(
    database_url: str, kafka_bootstrap: str
) -> None:
    nowhere = f"127.0.0.1:{free_port()}"
    async with running_service(CONSUMING, database_url=database_url, kafka_bootstrap=nowhere,
                               **NO_BROKER) as svc, svc.client() as http:
        waiting = await http.get("/readyz")
        assert (waiting.status_code, waiting.json()) == (
            503, {"ready": False, "checks": {"database": True, "consumers": False}})
    async with running_service(CONSUMING, database_url=database_url,
                               kafka_bootstrap=kafka_bootstrap) as svc, svc.client() as http:
        async def ready() -> bool:
            return (await http.get("/readyz")).status_code == 200

        # The first consumer group of a fresh broker waits for its coordinator a while.
        await wait_for(ready, timeout=60, what="the consumer running")
        running = await http.get("/readyz")
        assert running.json() == {"ready": True, "checks": {"database": True, "consumers": True}}
        assert svc.ctx.consumers[0].running
        assert await gauge(svc, "polku_broker_reachable") == 1
