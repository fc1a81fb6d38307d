"""A migrated reporting database per test, and a helper to project a history and query it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import pytest

from services.reporting.indicators import EXACT, DemoOrgLookup, compute
from services.reporting.projections import project
from services.runtime.migrate import apply_migrations
from tests.integration.reporting.builders import History

LATER = datetime(2030, 1, 1, tzinfo=UTC)

Report = Callable[..., Awaitable[list[dict[str, Any]]]]


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url)
    await apply_migrations(connection, "services.reporting")
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture
def history() -> History:
    return History()


@pytest.fixture
def report(conn: asyncpg.Connection, history: History) -> Report:
    """Project the history (once per call, duplicates ignored) and return the exact rows
    (the definitions; disclosure control's perturbation is tested apart)."""

    async def run(indicator: str, group_by: list[str] | None = None, *,
                  date_from: str = "2024-01-01", date_to: str = "2024-12-31",
                  as_of: datetime = LATER, threshold: int = 3) -> list[dict[str, Any]]:
        async with conn.transaction():
            await project(conn, history.envelopes())
        result = await compute(
            conn, indicator, date_from=date.fromisoformat(date_from),
            date_to=date.fromisoformat(date_to), group_by=group_by or [], as_of=as_of,
            threshold=threshold, orgs=DemoOrgLookup(), disclosure=EXACT,
        )
        return result["rows"]

    return run
