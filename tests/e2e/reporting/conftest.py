"""A second fresh database, for comparing a run with a reference projection; a served
reporting world for the bad-input tests; one for the exports tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from polku.infra import Infrastructure
from tests.e2e.reporting.bad_input_setup import Served, running_reporting
from tests.e2e.reporting.exports_support import exports_client


@pytest.fixture
async def second_url(infra: Infrastructure) -> AsyncIterator[str]:
    name = f"test_{uuid.uuid4().hex[:12]}"
    url = await infra.adatabase_url(name)
    try:
        yield url
    finally:
        await infra.drop_database(name)


@pytest.fixture(scope="module")
def served(infra: Infrastructure) -> Iterator[Served]:
    """Reporting on a thread, having read one pathway (the bad-input tests)."""
    with running_reporting(infra) as running:
        yield running


@pytest.fixture(scope="package")
def exports_http(infra: Infrastructure) -> Iterator[httpx.Client]:
    """Reporting having read the exports' world once, for both exports modules (a second
    world on the shared topics would change its small cells)."""
    with exports_client(infra) as client:
        yield client
