"""Reporting admits at most POLKU_QUERY_CONCURRENCY indicator computations at once (by
default one per core); the others wait without holding a connection."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import ValidationError

from services.reporting.admission import HORIZON, QuerySlots, concurrency, cores
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


async def _took(slots: QuerySlots, pool: CountingPool, kind: str, seconds: float) -> None:
    async with slots.connection(pool, kind):  # type: ignore[arg-type]
        await asyncio.sleep(seconds)


async def _admitted_in_order(slots: QuerySlots, pool: CountingPool,
                             arrivals: list[tuple[str, float]]) -> list[str]:
    """While the only slot is held, `arrivals` (kind, then a pause) queue; the order in
    which they are then admitted."""
    order: list[str] = []
    hold = asyncio.Event()

    async def held() -> None:
        async with slots.connection(pool):  # type: ignore[arg-type]
            await hold.wait()

    async def waiting(kind: str) -> None:
        async with slots.connection(pool, kind):  # type: ignore[arg-type]
            order.append(kind)

    holder = asyncio.create_task(held())
    await asyncio.sleep(0)
    queued = []
    for kind, pause in arrivals:
        queued.append(asyncio.create_task(waiting(kind)))
        await asyncio.sleep(pause)
    hold.set()
    await asyncio.gather(holder, *queued)
    return order


async def test_of_those_waiting_the_longest_last_time_goes_first() -> None:
    """A page's charts asked at once: the longest start first (then the cores finish
    together), whatever their order of arrival; one not yet timed counts as short."""
    slots, pool = QuerySlots(1), CountingPool()
    await _took(slots, pool, "long", 0.06)
    await _took(slots, pool, "middle", 0.03)
    assert 0.06 <= slots.expected("long") < HORIZON
    assert slots.expected("never seen") == slots.expected(None) == 0
    order = await _admitted_in_order(
        slots, pool, [("new", 0), ("middle", 0), ("long", 0)])
    assert order == ["long", "middle", "new"]


async def test_a_request_goes_before_a_longer_one_that_came_later_than_their_difference() -> None:
    """No request waits behind longer ones arriving after it for ever: one goes ahead of an
    earlier one only by as much as it is expected to take longer."""
    slots, pool = QuerySlots(1), CountingPool()
    await _took(slots, pool, "long", 0.05)
    order = await _admitted_in_order(slots, pool, [("short", 0.15), ("long", 0)])
    assert order == ["short", "long"]


async def test_a_waiting_computation_cancelled_leaves_the_slot_to_the_others() -> None:
    slots, pool = QuerySlots(1), CountingPool()
    hold = asyncio.Event()

    async def held() -> None:
        async with slots.connection(pool):  # type: ignore[arg-type]
            await hold.wait()

    holder = asyncio.create_task(held())
    await asyncio.sleep(0)
    gone = asyncio.create_task(_took(slots, pool, "gone", 0))
    await asyncio.sleep(0)
    gone.cancel()
    hold.set()
    await holder
    async with asyncio.timeout(1):
        await _took(slots, pool, "next", 0)
    assert pool.held == 0 and pool.handed == 2
