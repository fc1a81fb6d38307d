"""One running assessment service (own database) per test module, and the referral stand-in;
for the bad-input tests, the service on a thread with a seeded world (bad_input_setup)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import httpx
import pytest

from polku.infra import Infrastructure
from services.assessment.app import definition
from tests.e2e.assessment.bad_input_setup import HEADERS, Setup, running_setup
from tests.e2e.assessment.support import ReferralUpstream
from tests.support.services import RunningService, running_service


@pytest.fixture(scope="module")
async def service(infra: Infrastructure) -> AsyncIterator[RunningService]:
    name = f"test_assessment_{uuid.uuid4().hex[:10]}"
    url = await infra.adatabase_url(name)
    try:
        async with running_service(definition, database_url=url,
                                   kafka_bootstrap=infra.kafka_bootstrap) as svc:
            yield svc
    finally:
        await infra.drop_database(name)


@pytest.fixture(scope="module")
def pool(service: RunningService) -> asyncpg.Pool:
    """The service's own pool: its database as the service sees it."""
    return service.ctx.pool  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
async def upstream(infra: Infrastructure) -> AsyncIterator[ReferralUpstream]:
    publisher = await ReferralUpstream.start(infra.kafka_bootstrap)
    try:
        yield publisher
    finally:
        await publisher.stop()


@pytest.fixture(scope="module")
def setup(infra: Infrastructure) -> Iterator[Setup]:
    with running_setup(infra) as ready:
        yield ready


@pytest.fixture(scope="module")
def http(setup: Setup) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=setup.base_url, headers=HEADERS, timeout=30) as client:
        yield client
