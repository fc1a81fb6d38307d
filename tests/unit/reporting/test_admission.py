"""Reporting admits at most POLKU_QUERY_CONCURRENCY indicator computations at once (by
default one per core); the others wait without holding a connection."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import ValidationError

from services.reporting.admission import QuerySlots, concurrency, cores
from services.runtime.settings import ServiceSettings


class CountingPool:
    """A pool that counts the connections held at once (the most, and in all)."""

    def __init__(self) -> None:
        self.held = self.most = self.handed = 0

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[object]:
        self.held += 1
        self.handed += 1
        self.most = max(self.most, self.held)
        try:
            yield object()
        finally:
            self.held -= 1


@pytest.mark.parametrize("size", [1, 2, 3])
async def test_at_most_size_computations_hold_a_connection_at_once(size: int) -> None:
    pool = CountingPool()
    slots = QuerySlots(size)
    running = most = 0

    async def compute() -> None:
        nonlocal running, most
        async with slots.connection(pool) as conn:  # type: ignore[arg-type]
            assert conn is not None
            running += 1
            most = max(most, running)
            await asyncio.sleep(0.01)
            running -= 1

    await asyncio.gather(*(compute() for _ in range(7)))
    assert (most, pool.most, pool.handed, pool.held) == (size, size, 7, 0)


async def test_a_failed_computation_frees_its_slot() -> None:
    slots = QuerySlots(1)
    pool = CountingPool()

    async def failing() -> Any:
        async with slots.connection(pool):  # type: ignore[arg-type]
            raise RuntimeError("statement failed")

    with pytest.raises(RuntimeError):
        await failing()
    async with asyncio.timeout(1):
        async with slots.connection(pool):  # type: ignore[arg-type]
            assert pool.held == 1


def test_the_default_is_one_per_core_and_the_setting_wins() -> None:
    assert concurrency(ServiceSettings()) == cores() >= 1
    assert concurrency(ServiceSettings(polku_query_concurrency=3)) == 3


@pytest.mark.parametrize("size", [0, -1, 65])
def test_a_size_out_of_range_is_refused_naming_the_setting(size: int) -> None:
    with pytest.raises(ValidationError, match="polku_query_concurrency"):
        ServiceSettings(polku_query_concurrency=size)
