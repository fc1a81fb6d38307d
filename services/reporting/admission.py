"""Admission of indicator computations: at most `POLKU_QUERY_CONCURRENCY` at once (by
default one per core the service may use), each on one core (no parallel workers:
app.session_settings); the others wait their turn for a connection.

An indicator's statement is CPU-bound (it sorts and counts a period's rows in memory). Run
ten at once on two cores, as the dashboard's page asks for its charts, they share the cores
and their caches, and parallel workers add processes to the crowd: at ten million events
the page's ten charts took 1.25 s together, admitted two at a time without workers 1.11 s
(docs/PERFORMANCE.md). What waits holds no connection: the pool stays free for the
operational lists, timelines and health checks.

Who goes next: the waiting computation with the earliest arrival less its expected time
(the last time the same indicator and grouping took, capped at `HORIZON`). Of the requests
a page sends at once the longest start first, so two cores finish the page together rather
than one of them running the last long chart alone (longest processing time first: at ten
million events the page's ten charts, 60–240 ms each, took 0.96–1.01 s at once in the
order they came, 0.91 s so ordered; medians of five, alternating). A request never waits
for one that arrived more than `HORIZON` after it, so a short request is not kept waiting
behind long ones that keep coming.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import os
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date

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


# How much earlier than another a request may go ahead of it for being longer (seconds).
HORIZON = 1.0
# How many kinds' last times are remembered at most.
_KINDS = 4096


def kind_of(what: str, keys: Sequence[str], date_from: date, date_to: date) -> str:
    """A computation's kind, what its time depends on: what it computes (e.g. `chart
    <indicator>`), its grouping and its period's length (QuerySlots.connection)."""
    return f"{what} {','.join(keys)} {(date_to - date_from).days}"


class QuerySlots:
    """At most `size` holders at once of a connection for an indicator computation; the
    waiting ones admitted by arrival less expected time (the module's docstring)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._running = 0
        self._waiting: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._took: dict[str, float] = {}

    def expected(self, kind: str | None) -> float:
        """How long a computation of `kind` is expected to take: the last one's time,
        at most HORIZON (0: not known)."""
        return min(self._took.get(kind, 0.0), HORIZON) if kind is not None else 0.0

    @asynccontextmanager
    async def connection(self, pool: asyncpg.Pool,
                         kind: str | None = None) -> AsyncIterator[asyncpg.Connection]:
        """A connection for one computation of `kind` (its indicator and grouping: how
        long the last one took orders the waiting), once a slot is free."""
        await self._admitted(kind)
        started = time.monotonic()
        try:
            async with pool.acquire() as conn:
                yield conn
            if kind is not None:
                if len(self._took) >= _KINDS and kind not in self._took:
                    self._took.clear()  # bounded: kinds name arbitrary periods' lengths
                self._took[kind] = time.monotonic() - started
        finally:
            self._release()

    async def _admitted(self, kind: str | None) -> None:
        if self._running < self.size and not self._waiting:
            self._running += 1
            return
        turn = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting,
                       (time.monotonic() - self.expected(kind), next(self._order), turn))
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._release()  # handed the slot as it was cancelled: pass it on
            raise

    def _release(self) -> None:
        """Hand the slot to the first waiting computation still waiting, or free it."""
        while self._waiting:
            _, _, turn = heapq.heappop(self._waiting)
            if not turn.done():
                turn.set_result(None)
                return
        self._running -= 1


def query_slots(ctx: ServiceContext) -> QuerySlots:
    """The service's slots (made at first use, in the service's event loop)."""
    slots = ctx.extras.get(_SLOTS)
    if slots is None:
        slots = ctx.extras[_SLOTS] = QuerySlots(concurrency(ctx.settings))
    assert isinstance(slots, QuerySlots)
    return slots


__all__ = ["HORIZON", "QuerySlots", "concurrency", "cores", "kind_of", "query_slots"]
