"""The indicator benchmark (`python -m bench --only indicators`): a generated history of N
events loaded into a reporting database, then every indicator's median and p95 without and
with each group_by key, as of a month back and as of now; the dashboard's default page data;
the research extract; the database's size; the live consumer's rate while queries run; the
worst five. Optionally the exact rows of every query to a file (bench.rows compares two).

Queries run in-process through `compute`, the function the indicator route calls: HTTP and
JSON encoding are not in the figures. Exact rows (no perturbation) are timed, so figures
before and after a change of the physical design compare like with like.
"""

from __future__ import annotations

import asyncio
import math
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from bench.consumer_rate import consumer_rates
from bench.indicator_queries import THRESHOLD, Period, Timing, ms, time_all
from bench.rows import complete_rows, write_rows
from bench.scale import History
from bench.scale.load import load_history
from contracts.organisations import load_registry
from polku.infra import Infrastructure
from services.reporting import research
from services.reporting.admission import QuerySlots, concurrency
from services.reporting.app import session_settings
from services.reporting.dashboard.charts import CHARTS
from services.reporting.dashboard.data import ChartQuery, chart_data
from services.reporting.dashboard.routes import last_full_year
from services.reporting.indicators import RegistryOrgLookup
from services.reporting.projections.projector import local_date
from services.runtime.settings import ServiceSettings

Report = Callable[[str], None]


@dataclass(frozen=True)
class IndicatorBench:
    events: int
    seed: int = 7
    repeats: int = 7
    budget: float = 20.0  # seconds of calls per query, at least one call
    timeout: float = 60.0
    rows_file: Path | None = None
    quick: bool = False  # one pass without group_by, as of a month back (slow old code)


def _page_queries() -> list[ChartQuery]:
    """The default page: every chart's data, last full year, as of now, no filters; one
    request per distinct indicator and grouping, as the page asks (dashboard.js)."""
    date_from, date_to = last_full_year(local_date(datetime.now(UTC)))
    return [ChartQuery(indicator, date_from, date_to, group_by, datetime.now(UTC))
            for indicator, group_by in dict.fromkeys((c.indicator, c.group_by) for c in CHARTS)]


async def _dashboard_once(conn: asyncpg.Connection) -> int:
    """The default page's charts one after another."""
    orgs = RegistryOrgLookup(load_registry())
    for query in _page_queries():
        await chart_data(conn, query, threshold=THRESHOLD, orgs=orgs)
    return len(CHARTS)


# The page requests every chart at once (dashboard.js); the service answers them over its
# pool, at most this many connections (services/runtime/service.py), admitting as many
# computations at once as its settings say (services/reporting/admission.py).
PAGE_POOL = 10


async def _dashboard_at_once(pool: asyncpg.Pool, slots: QuerySlots) -> int:
    """The default page's charts requested at once, as the page does, answered as the
    service answers them: through its `slots`, which order the waiting by how long each
    chart took the last time (the first page after a start comes in arrival order)."""
    orgs = RegistryOrgLookup(load_registry())

    async def chart(query: ChartQuery) -> None:
        async with slots.connection(pool, query.kind) as conn:
            await chart_data(conn, query, threshold=THRESHOLD, orgs=orgs)

    await asyncio.gather(*(chart(query) for query in _page_queries()))
    return len(CHARTS)


async def _research_once(conn: asyncpg.Connection) -> int:
    now = datetime.now(UTC)
    extract = await research.extract(conn, key="bench-research-key", today=local_date(now),
                                     as_of=now)
    research.to_csv(extract)
    return len(extract)


async def _repeat(run: Callable[[asyncpg.Connection], Awaitable[int]], conn: asyncpg.Connection,
                  bench: IndicatorBench) -> tuple[list[float], int] | None:
    """Up to `repeats` runs, fewer once the budget is spent; None if one timed out (each
    run may take ten times a query's timeout: it is many queries)."""
    runs: list[float] = []
    size = 0
    while len(runs) < min(bench.repeats, 5) and sum(runs) < bench.budget:
        started = time.perf_counter()
        try:
            size = await asyncio.wait_for(run(conn), 10 * bench.timeout)
        except TimeoutError:
            return None
        runs.append(time.perf_counter() - started)
    return runs, size


async def _sizes(conn: asyncpg.Connection) -> list[str]:
    total = await conn.fetchval("SELECT pg_database_size(current_database())")
    tables = await conn.fetch(
        """SELECT n.nspname || '.' || c.relname AS name, c.reltuples::bigint AS rows,
                  pg_total_relation_size(c.oid) AS bytes, pg_indexes_size(c.oid) AS indexes
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relkind IN ('r', 'm', 'p') AND n.nspname NOT IN ('pg_catalog',
                 'information_schema', 'pg_toast')
           ORDER BY pg_total_relation_size(c.oid) DESC""")
    lines = [f"reporting database size: {total / 2**20:,.0f} MiB"]
    lines += [f"  {t['name']}: {t['bytes'] / 2**20:,.1f} MiB (indexes "
              f"{t['indexes'] / 2**20:,.1f} MiB), ~{max(t['rows'], 0):,} rows"
              for t in tables if t["bytes"] >= 64 * 1024]
    return lines


def _load_average(when: str) -> str:
    """The machine's load beside the figures: other work on a shared machine slows them."""
    one, five, fifteen = os.getloadavg()
    return f"load average {when}: {one:.1f}, {five:.1f}, {fifteen:.1f} (1, 5, 15 min)"


def _summary(timings: list[Timing]) -> list[str]:
    done = [t for t in timings if t.timed_out is None]
    lines = []
    for label in ("month back", "now"):
        of = [t for t in timings if t.as_of == label]
        ok = [t for t in of if t.timed_out is None]
        if ok:
            p95s = [t.p(0.95) for t in ok]
            lines.append(
                f"as_of {label}: {len(of)} queries, {len(of) - len(ok)} timed out; over the "
                f"others: median of medians {ms(statistics.median(t.median for t in ok))}, "
                f"median p95 {ms(statistics.median(p95s))}, worst p95 {ms(max(p95s))}; "
                f"p95 <= 100 ms: {sum(p <= 0.1 for p in p95s)}, <= 500 ms: "
                f"{sum(p <= 0.5 for p in p95s)}")

    def badness(t: Timing) -> float:
        return math.inf if t.timed_out is not None else t.p(0.95)

    worst = sorted(timings, key=badness, reverse=True)[:5]
    lines.append("worst five (indicator, group_by, as_of; p95):")
    lines += [f"  {t.describe()}" for t in worst]
    by_indicator: dict[str, Timing] = {}
    for t in sorted(timings, key=badness, reverse=True):
        by_indicator.setdefault(t.indicator, t)
    lines.append("worst five indicators (each with its worst group_by and as_of):")
    lines += [f"  {t.describe()}" for t in list(by_indicator.values())[:5]]
    lines.append(f"({len(done)} of {len(timings)} queries answered within the timeout)")
    slow = sorted({t.indicator for t in timings if t.timed_out is not None})
    if slow:
        lines.append(f"timed out at least once: {', '.join(slow)}")
    return lines


async def run_indicators(infra: Infrastructure, report: Report, bench: IndicatorBench
                         ) -> list[str]:
    """Run the indicator benchmark; returns the result lines (also reported as they come)."""
    history = History(seed=bench.seed)
    period = Period.of(history)
    name = f"bench_indicators_{uuid.uuid4().hex[:8]}"
    url = await infra.adatabase_url(name)
    results: list[str] = []

    def result(line: str) -> None:
        results.append(line)
        report(line)

    report(f"indicator benchmark: {bench.events:,} generated events (seed {bench.seed}), "
           f"period {period.describe()}; database {name}")
    try:
        loaded = await load_history(url, history, bench.events, report)
        result(loaded.describe())
        # The reporting service's own session settings (work_mem), with their defaults.
        conn = await asyncpg.connect(url, server_settings=session_settings(ServiceSettings()))
        try:
            timings = await _measure(conn, url, bench, period, report, result)
            for line in await _sizes(conn):
                result(line)
        finally:
            await conn.close()
        for line in await consumer_rates(infra, url, period, report):
            result(line)
        results.append("every query:")
        results.extend(f"  {t.describe()}" for t in timings)
    finally:
        await infra.drop_database(name)
    return results


def _runs(runs: tuple[list[float], int] | None, bench: IndicatorBench) -> str:
    if runs is None:
        return f"> {10 * bench.timeout:.0f} s (timed out)"
    return (f"median {ms(statistics.median(runs[0]))}, max {ms(max(runs[0]))}"
            f" ({len(runs[0])} runs)")


async def _measure(conn: asyncpg.Connection, url: str, bench: IndicatorBench, period: Period,
                   report: Report, result: Report) -> list[Timing]:
    report(f"indicators: up to {bench.repeats} calls each (at most {bench.budget:.0f} s of "
           f"calls per query), timeout {bench.timeout:.0f} s")
    result(_load_average("before the queries"))
    timings, rows = await time_all(conn, period, report, repeats=bench.repeats,
                                   budget=bench.budget, timeout=bench.timeout,
                                   quick=bench.quick)
    result(_load_average("after the queries"))
    for line in _summary(timings):
        result(line)
    page = await _repeat(_dashboard_once, conn, bench)
    result(f"dashboard default page data ({len(CHARTS)} charts in {len(_page_queries())} "
           f"requests, last full year, as of now), one after another: {_runs(page, bench)}")
    pool = await asyncpg.create_pool(url, min_size=1, max_size=PAGE_POOL,
                                     server_settings=session_settings(ServiceSettings()))
    try:
        slots = QuerySlots(concurrency(ServiceSettings()))
        page = await _repeat(lambda _: _dashboard_at_once(pool, slots), conn, bench)
    finally:
        await pool.close()
    result(f"dashboard default page data, the charts requested at once as the page does "
           f"(a pool of {PAGE_POOL}, {concurrency(ServiceSettings())} computing at once): "
           f"{_runs(page, bench)}")
    extract = await _repeat(_research_once, conn, bench)
    result("research extract (CSV): " + (
        f"median {ms(statistics.median(extract[0]))} ({len(extract[0])} runs, "
        f"{extract[1]:,} consenting clients)" if extract else
        f"> {10 * bench.timeout:.0f} s (timed out)"))
    if bench.rows_file is not None:
        complete = await complete_rows(conn, period, rows, report)
        meta: dict[str, Any] = {"seed": bench.seed, "events": bench.events,
                                "period": [str(period.date_from), str(period.date_to)],
                                "as_of": period.as_of.isoformat()}
        write_rows(bench.rows_file, meta, complete)
        result(f"exact rows of {len(complete)} queries written to {bench.rows_file}")
    return timings
