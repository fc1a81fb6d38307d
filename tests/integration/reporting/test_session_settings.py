"""Reporting's database sessions run with its own `work_mem` (POLKU_QUERY_WORK_MEM): an
indicator over a year of a national history sorts and hashes tens of MB, which the server's
default (4MB) would spill to disk; and they count a group's distinct clients by sorting
the group's clients alone (`enable_presorted_aggregate` off); and every execution of an
indicator's statement is planned for its own `as_of` and period, never with a generic plan
(`plan_cache_mode`); and without parallel workers (computations are admitted one per core:
admission.py) or JIT compilation (a statement's compile would cost more than its run). A
malformed size is refused at start, naming the setting."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from contracts.organisations import load_registry
from services.reporting.app import build_definition
from services.reporting.indicators import RegistryOrgLookup, compute
from services.reporting.indicators.disclosure import DisclosureControl
from services.runtime.settings import ServiceSettings
from tests.support.services import free_port, running_service

NO_BROKER = {"polku_broker_startup_wait_seconds": 0.2, "polku_broker_check_seconds": 0.2}


async def test_every_reporting_session_has_the_configured_work_mem(database_url: str) -> None:
    async with running_service(build_definition(), database_url=database_url,
                               kafka_bootstrap=f"127.0.0.1:{free_port()}",
                               polku_query_work_mem="96MB", **NO_BROKER) as svc:
        pool = svc.ctx.pool
        async with pool.acquire() as one, pool.acquire() as other:
            assert [await c.fetchval("SHOW work_mem") for c in (one, other)] == ["96MB"] * 2
            assert [await c.fetchval("SHOW enable_presorted_aggregate")
                    for c in (one, other)] == ["off"] * 2
            assert [await c.fetchval("SHOW max_parallel_workers_per_gather")
                    for c in (one, other)] == ["0"] * 2
            assert [await c.fetchval("SHOW jit") for c in (one, other)] == ["off"] * 2


async def test_a_repeated_indicator_statement_is_planned_for_its_own_arguments(
        database_url: str) -> None:
    # asyncpg prepares a statement once per connection; from the sixth execution PostgreSQL
    # would otherwise weigh a generic plan (here it takes one: 3 of 8 executions).
    async with running_service(build_definition(), database_url=database_url,
                               kafka_bootstrap=f"127.0.0.1:{free_port()}", **NO_BROKER) as svc:
        async with svc.ctx.pool.acquire() as conn:
            for year in range(2017, 2025):
                await compute(conn, "referral_queue", date_from=date(year, 1, 1),
                              date_to=date(year, 12, 31), group_by=["region"],
                              as_of=datetime.now(UTC), orgs=RegistryOrgLookup(load_registry()),
                              disclosure=DisclosureControl.exact())
            plans = await conn.fetchrow(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                " WHERE statement LIKE 'WITH parameters AS%' ORDER BY custom_plans DESC LIMIT 1")
    assert plans is not None
    assert (plans["generic_plans"], plans["custom_plans"]) == (0, 8)


def test_the_default_keeps_a_years_sorts_in_memory() -> None:
    assert build_definition().session_settings(ServiceSettings()) == {
        "work_mem": "64MB", "enable_presorted_aggregate": "off",
        "plan_cache_mode": "force_custom_plan", "max_parallel_workers_per_gather": "0",
        "jit": "off"}


@pytest.mark.parametrize("size", ["64", "lots", "0MB", "64 MB", "64mb"])
def test_a_malformed_size_is_refused_naming_the_setting(size: str) -> None:
    with pytest.raises(ValidationError, match="polku_query_work_mem"):
        ServiceSettings(polku_query_work_mem=size)
