"""The reporting service with the dashboard, over facts projected from a hand-built history."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import asyncpg
import pytest

from services.reporting.app import definition as reporting
from services.reporting.dashboard import router as dashboard_router
from services.reporting.projections import project
from services.runtime.service import ServiceDefinition
from tests.e2e.dashboard.seed import history
from tests.support.services import RunningService, running_service


def dashboard_definition() -> ServiceDefinition:
    """Reporting with the dashboard router, without its topic consumer: these tests project
    their facts directly, and events other tests publish must not land in them."""
    routers = list(reporting.routers)
    if dashboard_router not in routers:
        routers.append(dashboard_router)
    return dataclasses.replace(reporting, routers=routers, consumes=(),
                               consumers=lambda _ctx: ())


@pytest.fixture
async def dashboard(database_url: str, kafka_bootstrap: str) -> AsyncIterator[RunningService]:
    async with running_service(dashboard_definition(), database_url=database_url,
                               kafka_bootstrap=kafka_bootstrap) as svc:
        conn = await asyncpg.connect(database_url)
        try:
            async with conn.transaction():
                await project(conn, history().envelopes())
        finally:
            await conn.close()
        yield svc
