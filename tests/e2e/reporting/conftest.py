"""A second fresh database, for comparing a run with a reference projection."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from services.runtime.infra import Infrastructure


@pytest.fixture
async def second_url(infra: Infrastructure) -> AsyncIterator[str]:
    name = f"test_{uuid.uuid4().hex[:12]}"
    url = await infra.adatabase_url(name)
    try:
        yield url
    finally:
        await infra.drop_database(name)
