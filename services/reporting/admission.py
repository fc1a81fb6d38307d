"""Admission of indicator computations: at most `POLKU_QUERY_CONCURRENCY` at once (by
default one per core the service may use), each on one core (no parallel workers:
app.session_settings); the others wait their turn for a connection.

An indicator's statement is CPU-bound (it sorts and counts a period's rows in memory). Run
ten at once on two cores, as the dashboard's page asks for its charts, they share the cores
and their caches, and parallel workers add processes to the crowd: at ten million events
the page's ten charts took 1.25 s together, admitted two at a time without workers 1.11 s
(docs/PERFORMANCE.md). What waits holds no connection: the pool stays free for the
operational lists, timelines and health checks.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from services.runtime.service import ServiceContext
from services.runtime.settings import ServiceSettings

_SLOTS = "reporting.query_slots"


def cores() -> int:
    """The cores this process may run on (its CPU affinity; the machine's otherwise)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def concurrency(settings: ServiceSettings) -> int:
    """How many indicator computations run at once: the setting, or the cores."""
    return settings.polku_query_concurrency or cores()


class QuerySlots:
    """At most `size` holders at once of a connection for an indicator computation."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._free = asyncio.Semaphore(size)

    @asynccontextmanager
    async def connection(self, pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
        async with self._free, pool.acquire() as conn:
            yield conn


def query_slots(ctx: ServiceContext) -> QuerySlots:
    """The service's slots (made at first use, in the service's event loop)."""
    slots = ctx.extras.get(_SLOTS)
    if slots is None:
        slots = ctx.extras[_SLOTS] = QuerySlots(concurrency(ctx.settings))
    assert isinstance(slots, QuerySlots)
    return slots


__all__ = ["QuerySlots", "concurrency", "cores", "query_slots"]
