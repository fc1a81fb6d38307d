"""The loader sends a plan as real commands: right tokens, idempotent, patient with event lag."""

from __future__ import annotations

from datetime import date

import pytest

from polku.demo.generator import build_plan
from polku.demo.loader import (
    LoadReport,
    RetryPolicy,
    ServicesUnavailable,
    ServiceUrls,
    load_plan,
)
from polku.demo.plan import Plan
from polku.demo.progress import planned_counts
from tests.unit.demo.fake_services import FakeServices

SECRET = "demo-loader-test-secret-32-bytes-long"
FAST = RetryPolicy(base_delay=0.001, max_delay=0.002, authorisation_wait=1.0)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return build_plan(seed=3, clients=30, until=date(2026, 10, 30))


async def _load(plan: Plan, services: FakeServices, secret: str = SECRET) -> LoadReport:
    return await load_plan(plan, ServiceUrls(), secret=secret, concurrency=4, retry=FAST,
                           transport=services.transport())


async def test_every_planned_command_is_created_once(plan: Plan) -> None:
    services = FakeServices(SECRET)
    report = await _load(plan, services)
    assert report.failures == [] and report.tracks_failed == 0
    assert report.tracks_done == len(plan.tracks)
    assert services.created == planned_counts(plan)
    assert report.sent == planned_counts(plan)
    assert report.retries > 0  # the first request of each organisation met the event lag


async def test_a_rerun_creates_nothing_new(plan: Plan) -> None:
    services = FakeServices(SECRET, lag_first_request=False)
    await _load(plan, services)
    first = dict(services.created)
    report = await _load(plan, services)
    assert report.tracks_failed == 0
    assert dict(services.created) == first


async def test_a_wrong_key_stops_the_load_early(plan: Plan) -> None:
    services = FakeServices(SECRET)
    report = await _load(plan, services, secret="not-the-key-of-these-fake-services")
    assert report.aborted
    assert report.tracks_done == 0
    assert services.requests < len(plan.tracks)
    assert "401" in report.failures[0]


async def test_unreachable_services_are_named() -> None:
    with pytest.raises(ServicesUnavailable, match="referral"):
        await load_plan(build_plan(clients=1, until=date(2026, 10, 30)),
                        ServiceUrls(referral="http://127.0.0.1:9"), secret=SECRET)
