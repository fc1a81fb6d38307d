"""Timed indicator queries: every indicator of the catalogue, without and with each group_by
key, as of a month before the history's end and as of now, called in-process through the
function the HTTP route calls (`compute`), so HTTP and JSON encoding are not in the figures.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from bench.scale.history import History
from contracts.organisations import load_registry
from services.reporting.indicators import INDICATORS, RegistryOrgLookup, compute

Report = Callable[[str], None]
THRESHOLD = 5  # the default suppression threshold (POLKU_SUPPRESSION_THRESHOLD)


@dataclass(frozen=True)
class Period:
    """One year ending the day before `as_of`'s date, `as_of` a month before the end."""

    date_from: date
    date_to: date
    as_of: datetime

    @classmethod
    def of(cls, history: History) -> Period:
        as_of = history.end - timedelta(days=31)
        to = as_of.date() - timedelta(days=1)
        return cls(date(to.year - 1, to.month, to.day) + timedelta(days=1), to, as_of)

    def describe(self) -> str:
        return f"{self.date_from}..{self.date_to}, as_of {self.as_of.isoformat()}"


def exact_options() -> dict[str, Any]:
    """The option of `compute` that returns the exact rows, if disclosure control has one
    (perturbation applies to exact figures at the end; comparisons are of exact rows)."""
    parameters = inspect.signature(compute).parameters
    if "disclosure" in parameters:  # issue 18's disclosure control
        from services.reporting.indicators.disclosure import DisclosureControl

        return {"disclosure": DisclosureControl.exact()}
    if "perturb" in parameters:
        return {"perturb": False}
    if "exact" in parameters:
        return {"exact": True}
    return {}


async def indicator_rows(conn: asyncpg.Connection, indicator: str, group_by: list[str],
                         period: Period, as_of: datetime | None) -> list[dict[str, Any]]:
    """The exact rows, as `GET /indicators/{id}` computes them (as_of None: now)."""
    result = await compute(
        conn, indicator, date_from=period.date_from, date_to=period.date_to,
        group_by=group_by, as_of=as_of or datetime.now(UTC), threshold=THRESHOLD,
        orgs=RegistryOrgLookup(load_registry()), **exact_options())
    rows: list[dict[str, Any]] = result["rows"]
    return rows


def combinations(keys: bool = True) -> list[tuple[str, tuple[str, ...]]]:
    """Every indicator without group_by and (with `keys`) with each of its keys alone."""
    return [(spec.id, group) for spec in INDICATORS
            for group in [(), *((key,) for key in spec.group_by if keys)]]


@dataclass
class Timing:
    indicator: str
    group_by: tuple[str, ...]
    as_of: str  # "month back" or "now"
    seconds: list[float] = field(default_factory=list)
    timed_out: float | None = None  # the timeout, when a call did not answer within it

    @property
    def label(self) -> str:
        group = ",".join(self.group_by) or "-"
        return f"{self.indicator} group_by={group} as_of={self.as_of}"

    def p(self, share: float) -> float:
        """Nearest-rank percentile; infinite when a call timed out."""
        if self.timed_out is not None:
            return math.inf
        ordered = sorted(self.seconds)
        return ordered[max(0, math.ceil(share * len(ordered)) - 1)]

    @property
    def median(self) -> float:
        return math.inf if self.timed_out is not None else statistics.median(self.seconds)

    def describe(self) -> str:
        if self.timed_out is not None:
            return f"{self.label}: > {self.timed_out:.0f} s (timed out)"
        return (f"{self.label}: median {ms(self.median)}, p95 {ms(self.p(0.95))} "
                f"({len(self.seconds)} calls)")


def interrupted() -> None:
    """Re-raise a cancellation (Ctrl-C) that asyncpg turned into a cancelled query."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def ms(seconds: float) -> str:
    if math.isinf(seconds):
        return "timeout"
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


async def time_query(conn: asyncpg.Connection, timing: Timing, period: Period,
                     as_of: datetime | None, *, repeats: int, budget: float, timeout: float
                     ) -> list[dict[str, Any]] | None:
    """Call the query up to `repeats` times (fewer once `budget` seconds are spent); the
    exact rows of the first call (None if it timed out). Every call must give the same rows."""
    first: list[dict[str, Any]] | None = None
    spent = 0.0
    await conn.execute(f"SET statement_timeout = {int(timeout * 1000)}")
    for _ in range(repeats):
        started = time.perf_counter()
        try:
            # The server cancels a statement at the timeout; the wait below only catches
            # a query whose time goes into Python rather than SQL.
            rows = await asyncio.wait_for(
                indicator_rows(conn, timing.indicator, list(timing.group_by), period, as_of),
                timeout + 5)
        except (TimeoutError, asyncpg.QueryCanceledError):
            interrupted()
            timing.timed_out = timeout
            return first
        elapsed = time.perf_counter() - started
        timing.seconds.append(elapsed)
        if first is None:
            first = rows
        elif as_of is not None and rows != first:
            raise AssertionError(f"{timing.label}: two calls gave different rows")
        spent += elapsed
        if spent >= budget:
            break
    return first


async def time_all(conn: asyncpg.Connection, period: Period, report: Report, *,
                   repeats: int, budget: float, timeout: float, quick: bool = False
                   ) -> tuple[list[Timing], dict[str, list[dict[str, Any]]]]:
    """Every combination as of a month back and as of now (`quick`: only without group_by,
    as of a month back); the rows of the month-back calls."""
    timings: list[Timing] = []
    rows: dict[str, list[dict[str, Any]]] = {}
    moments = (("month back", period.as_of),) if quick else (
        ("month back", period.as_of), ("now", None))
    for indicator, group in combinations(keys=not quick):
        for label, as_of in moments:
            timing = Timing(indicator, group, label)
            got = await time_query(conn, timing, period, as_of, repeats=repeats,
                                   budget=budget, timeout=timeout)
            if as_of is not None and got is not None:
                rows[rows_key(indicator, group)] = got
            timings.append(timing)
            report(f"  {timing.describe()}")
    await conn.execute("RESET statement_timeout")
    return timings, rows


def rows_key(indicator: str, group: tuple[str, ...]) -> str:
    return f"{indicator}?group_by={','.join(group)}"
