"""Over HTTP, every indicator computation waits for one of reporting's query slots
(POLKU_QUERY_CONCURRENCY): `GET /indicators/{id}`, the dashboard's chart data and the
indicator export answer only once a slot is free, and then answer."""

from __future__ import annotations

import asyncio

from services.reporting.admission import query_slots
from services.reporting.app import build_definition
from tests.support.services import auth, free_port, running_service

NO_BROKER = {"polku_broker_startup_wait_seconds": 0.2, "polku_broker_check_seconds": 0.2}
ANALYST = auth("kymenlaakso-sote", "analyst")
PERIOD = {"from": "2025-01-01", "to": "2025-12-31"}
COMPUTATIONS = [
    ("/indicators/referrals_made", PERIOD | {"group_by": "region"}),
    ("/dashboard/data", PERIOD | {"indicator": "case_duration_days"}),
    ("/indicators/export", PERIOD),
]


async def test_each_computation_waits_for_a_free_slot(database_url: str) -> None:
    async with running_service(build_definition(), database_url=database_url,
                               kafka_bootstrap=f"127.0.0.1:{free_port()}",
                               polku_query_concurrency=1, **NO_BROKER) as svc:
        slots = query_slots(svc.ctx)
        assert slots.size == 1
        async with svc.client() as http:
            async with slots.connection(svc.ctx.pool):
                asked = [asyncio.create_task(http.get(path, params=params, headers=ANALYST))
                         for path, params in COMPUTATIONS]
                done, _ = await asyncio.wait(asked, timeout=1.0)
                assert done == set()
            answers = await asyncio.gather(*asked)
    assert [answer.status_code for answer in answers] == [200] * len(COMPUTATIONS)
