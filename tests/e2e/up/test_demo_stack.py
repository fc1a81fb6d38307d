"""`polku up` with a small demo: the four services as real processes (`polku serve`) on the
session's Kafka and PostgreSQL, 200 demo clients loaded through the HTTP APIs, reporting
caught up, and every dashboard chart showing data that equals the indicator API's rows.

The session's topics also carry other tests' events, which reporting reads too; the
dashboard and the API answer from the same facts, so they are compared with each other, and
"has data" is asked of the demo's business-time window, where only the demo has volume (the
other tests date their events elsewhere).

What 200 clients can show under the suppression threshold (5): over all regions, every chart
has a cell with n > 0 shown, except the referral queue, a one-day snapshot that holds a
handful of waiting referrals (a suppressed cell: 0 < n < 5). Within one region most cells
are under the threshold, so there a chart has data when a row counts something, shown or
suppressed. Kymenlaakso is that region: its referrals wait long enough that the queue on the
period's last day is not empty.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from polku.demo.generator import build_plan
from polku.demo.loader import LoadReport, ServiceUrls, load_plan
from polku.infra import Infrastructure
from polku.stack import with_database
from polku.up import RunningStack, start_services, wait_ready
from services.reporting.dashboard.charts import CHARTS, Chart
from services.reporting.indicators import CATALOGUE
from services.runtime.settings import DEV_JWT_SECRET
from tests.support.services import auth, free_port

SERVICES = ("referral", "assessment", "coaching", "reporting")
WRITE_SERVICES = ("referral", "assessment", "coaching")
CLIENTS, SEED = 200, 42
PERIOD = {"from": "2024-01-01", "to": "2026-10-31"}  # the demo's whole business-time window
REGION = "kymenlaakso"  # see the module docstring
SMALL_SNAPSHOTS = {"referral_queue"}  # never 5 waiting at once with 200 clients
READY_TIMEOUT = 90.0
CATCH_UP_TIMEOUT = 120.0
ANALYST = auth("keski-uusimaa-sote", "analyst")


def distinct_free_ports(names: tuple[str, ...]) -> dict[str, int]:
    ports: set[int] = set()
    while len(ports) < len(names):  # never the default 8001–8004: the OS hands out others
        ports.add(free_port())
    return dict(zip(names, sorted(ports), strict=True))


def log_tails(log_dir: Path, lines: int = 15) -> str:
    parts = []
    for path in sorted(log_dir.glob("*.log")):
        tail = path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        parts.append(f"--- {path.name}\n" + "\n".join(tail))
    return "\n".join(parts)


async def event_ids(url: str, query: str) -> set[uuid.UUID]:
    conn = await asyncpg.connect(url)
    try:
        return {row[0] for row in await conn.fetch(query)}
    finally:
        await conn.close()


async def wait_for_reporting(urls: dict[str, str], timeout: float) -> tuple[int, float]:
    """Until every event the write services stored is in reporting's event_log; returns
    how many events the write services hold and how long the wait took."""
    started = time.monotonic()
    written: set[uuid.UUID] = set()
    for name in WRITE_SERVICES:
        written |= await event_ids(urls[name], "SELECT event_id FROM events")
    while True:
        logged = await event_ids(urls["reporting"], "SELECT event_id FROM event_log")
        missing = written - logged
        if not missing:
            return len(written), time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(
                f"reporting did not catch up in {timeout:.0f} s: {len(missing)} of the "
                f"{len(written)} events the write services stored are not in its event_log "
                f"(relay or reporting consumer stuck? see the service logs)")
        await asyncio.sleep(1.0)


def shown(rows: list[dict[str, Any]]) -> int:
    """Rows with n > 0 shown (not suppressed)."""
    return sum(1 for row in rows if not row["suppressed"] and (row["n"] or 0) > 0)


def counting(rows: list[dict[str, Any]]) -> int:
    """Rows that count something: n > 0 shown, or suppressed (0 < n < threshold)."""
    return sum(1 for row in rows if row["suppressed"] or (row["n"] or 0) > 0)


async def chart_rows(http: httpx.AsyncClient, chart: Chart, as_of: str,
                     region: str | None) -> list[dict[str, Any]]:
    """The chart's rows from /dashboard/data, checked equal to GET /indicators/{id}'s rows
    with the same period, as_of and group_by (plus region, keeping that region's rows)."""
    params = {"indicator": chart.indicator, "group_by": ",".join(chart.group_by),
              "as_of": as_of, **PERIOD}
    if region is not None:
        params["region"] = region
    response = await http.get("/dashboard/data", params=params, headers=ANALYST)
    assert response.status_code == 200, (chart.id, region, response.text)
    data = response.json()
    where = f"chart {chart.id} ({chart.indicator}), region {region or 'all'}"
    group_by = list(dict.fromkeys([*chart.group_by, *(["region"] if region else [])]))
    api = await http.get(f"/indicators/{chart.indicator}", headers=ANALYST, params={
        **PERIOD, "group_by": ",".join(group_by), "as_of": as_of})
    assert api.status_code == 200, (where, api.text)
    expected = [row for row in api.json()["rows"] if region is None or row["region"] == region]
    assert data["rows"] == expected, f"{where}: the dashboard's rows are not the API's"
    assert data["filters"] == ({"region": region} if region else {}), where
    rows: list[dict[str, Any]] = data["rows"]
    # The chart's n: the indicator over the same filters, ungrouped (or its rows' sum for an
    # indicator that always groups), as the API answers it.
    if CATALOGUE[chart.indicator].always:
        assert data["total"]["n"] == sum(row["n"] or 0 for row in expected), where
    else:
        whole = await http.get(f"/indicators/{chart.indicator}", headers=ANALYST, params={
            **PERIOD, "as_of": as_of, **({"group_by": "region"} if region else {})})
        assert whole.status_code == 200, (where, whole.text)
        first = next((row for row in whole.json()["rows"]
                      if region is None or row["region"] == region),
                     {"n": 0, "suppressed": False})
        assert (data["total"]["n"], data["total"]["suppressed"]) == (
            first["n"], first["suppressed"]), f"{where}: the chart's n is not the API's"
    return rows


@pytest.mark.slow
async def test_polku_up_with_a_small_demo_fills_every_dashboard_chart(
    infra: Infrastructure, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_dir = tmp_path / "logs"
    prefix = f"test_up_{uuid.uuid4().hex[:8]}_"
    lines: list[str] = []
    stack: RunningStack | None = None
    started = time.monotonic()
    try:
        stack = await asyncio.to_thread(
            start_services, infra, SERVICES, log_dir, lines.append,
            ports=distinct_free_ports(SERVICES), database_prefix=prefix)
        await asyncio.to_thread(wait_ready, stack, log_dir, READY_TIMEOUT)
        ready_after = time.monotonic() - started
        with capsys.disabled():
            print(f"\n[polku up] {len(SERVICES)} services from start to ready in "
                  f"{ready_after:.1f} s")

        plan = build_plan(seed=SEED, clients=CLIENTS)
        urls = ServiceUrls(referral=stack.urls["referral"],
                           assessment=stack.urls["assessment"], coaching=stack.urls["coaching"])
        loading = time.monotonic()
        load: LoadReport = await load_plan(plan, urls, secret=DEV_JWT_SECRET, concurrency=16)
        loaded_after = time.monotonic() - loading
        assert not load.aborted and load.tracks_failed == 0, load.failures[:5]
        assert load.tracks_done == len(plan.tracks)
        # With the consistency token, assessment and coaching answer once they know the
        # client: the loader hardly ever has to retry (it retried hundreds of times without).
        assert load.retries <= CLIENTS // 10, load.retries

        databases = {name: with_database(infra.server_url, f"{prefix}{name}")
                     for name in SERVICES}
        events, caught_up_after = await wait_for_reporting(databases, CATCH_UP_TIMEOUT)

        async with httpx.AsyncClient(base_url=stack.urls["reporting"], timeout=30.0) as http:
            as_of = datetime.now(UTC).isoformat()  # one recorded time for both sides
            page = await http.get("/dashboard")
            assert page.status_code == 200
            unsigned = await http.get("/dashboard/data", params={"indicator": "referrals_made"})
            assert unsigned.status_code == 401, "the dashboard's data needs a token"
            empty: list[str] = []
            for chart in CHARTS:
                assert f'data-chart="{chart.id}"' in page.text, chart.id
                everywhere = await chart_rows(http, chart, as_of, None)
                in_region = await chart_rows(http, chart, as_of, REGION)
                if chart.indicator in SMALL_SNAPSHOTS:
                    if not counting(everywhere):
                        empty.append(f"{chart.id}: nothing counted in any region")
                elif not shown(everywhere):
                    empty.append(f"{chart.id}: no cell with n > 0 shown over all regions")
                if not counting(in_region):
                    empty.append(f"{chart.id}: nothing counted in {REGION}")
            assert not empty, "dashboard charts without the demo's data:\n" + "\n".join(empty)
            # The demo's own referrals are all there (other tests' events may add more).
            total = await http.get("/indicators/referrals_made", headers=ANALYST,
                                   params={**PERIOD, "as_of": as_of})
            assert total.json()["rows"][0]["value"] >= load.sent["MakeReferral"] > 0

        with capsys.disabled():
            print(f"[polku up] start to ready {ready_after:.1f} s; demo of "
                  f"{CLIENTS} clients loaded in {loaded_after:.1f} s ({events} events, "
                  f"{load.retries} retries); "
                  f"reporting caught up {caught_up_after:.1f} s later; "
                  f"{len(CHARTS)} charts × 2 filters checked")
    except BaseException:
        with capsys.disabled():
            print(f"\n[polku up] service logs ({log_dir}):\n{log_tails(log_dir)}")
        raise
    finally:
        if stack is not None:
            await asyncio.to_thread(stack.stop, lines.append, keep_infra=True)
        for name in SERVICES:
            await infra.drop_database(f"{prefix}{name}")
