"""A second fresh database, for comparing a run with a reference projection; a served
reporting world for the bad-input tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from polku.infra import Infrastructure
from tests.e2e.reporting.bad_input_setup import Served, running_reporting


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
