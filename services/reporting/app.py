"""Wiring of the reporting service: the consumer of every service topic, the read API."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter

from services.reporting.audit import router as audit_router
from services.reporting.consumer import (
    CONSUMER_NAME,
    TOPICS,
    projection_position,
    reporting_consumer,
)
from services.reporting.dashboard import router as dashboard_router
from services.reporting.exports.routes import router as exports_router
from services.reporting.indicators.report import MIN_THRESHOLD
from services.reporting.projections.keys import RecordKeys, ensure_keyed
from services.reporting.routes import router
from services.runtime.logging import get_logger
from services.runtime.metrics import PROJECTION_POSITION
from services.runtime.service import ServiceContext, ServiceDefinition
from services.runtime.settings import ServiceSettings

log = get_logger(__name__)

# The exports first: /indicators/export must not be read as an indicator id.
ROUTERS: list[APIRouter] = [exports_router, router, dashboard_router, audit_router]


class SuppressionThresholdTooLow(RuntimeError):
    pass


async def _on_start(ctx: ServiceContext) -> None:
    threshold = ctx.settings.polku_suppression_threshold
    if threshold < MIN_THRESHOLD:
        raise SuppressionThresholdTooLow(
            f"POLKU_SUPPRESSION_THRESHOLD is {threshold}; reporting refuses to start with a "
            f"small-cell suppression threshold below {MIN_THRESHOLD} (Finnish statistics "
            "practice). Set it to 3 or more (default 5)."
        )
    async with ctx.pool.acquire() as conn:
        PROJECTION_POSITION.labels("reporting").set(await projection_position(conn))
    ctx.tasks.append(asyncio.create_task(_key(ctx), name="reporting-record-keys"))


def record_keys(settings: ServiceSettings) -> RecordKeys:
    """The record keys of the configured perturbation key (projections/keys.py)."""
    return RecordKeys.of(settings.polku_perturbation_key.get_secret_value())


async def _key(ctx: ServiceContext) -> None:
    """Key the fact rows with the configured perturbation key, unless they are: at the first
    start after migration 019 or after the key changed (minutes at ten million events; the
    indicators answer meanwhile, summing cell keys in Python)."""
    keys = record_keys(ctx.settings)

    def progress(table: str, done: int, total: int) -> None:
        log.info("record_keys.keyed", table=table, done=done, total=total)

    async with ctx.pool.acquire() as conn:
        usable = await ensure_keyed(conn, keys, progress)
    if not usable:
        log.warning("record_keys.shared", hint="two units share a record key; cell keys are "
                    "summed in Python (slower). Another POLKU_PERTURBATION_KEY avoids it.")


def session_settings(settings: ServiceSettings) -> dict[str, str]:
    """The PostgreSQL settings of reporting's sessions: indicator queries sort and hash a
    period's rows, which at national volume outgrow the server's default work_mem.

    And a distinct count per group (`count(DISTINCT client_id)` by a key: most indicator
    rows) sorts each group's clients by themselves, not the period's rows by key and client
    at once, as PostgreSQL 16 and later do by default (`enable_presorted_aggregate`). A sort
    by client alone compares abbreviated keys (the identifiers' first bytes); by a key of a
    few values first, every comparison reads both whole strings: at ten million events that
    sort took 370 of a query's 550 ms (docs/PERFORMANCE.md).

    And every execution of a statement is planned for its own parameters
    (`plan_cache_mode`): asyncpg prepares each statement once per connection, and from its
    sixth execution PostgreSQL may keep a generic plan, one made without knowing `as_of` or
    the period. For an indicator that plan can be many times slower (at ten million events
    `referral_queue` by region 65 → 440 ms), while planning one costs about a millisecond.

    And a statement runs in its own process, without parallel workers: indicator
    computations are admitted one per core (admission.py), so workers would only crowd the
    cores the others use. Alone, a query was no slower without them (docs/PERFORMANCE.md).

    And without JIT compilation (`jit`): PostgreSQL compiles a statement whose estimated
    cost passes `jit_above_cost` (100,000), and optimizes and inlines it past 500,000. At
    ten million events the page's work_ability_change statement is estimated at 1.1
    million: a server built with LLVM (the compose file's postgres:17 image is) would spend
    tens to hundreds of milliseconds compiling a statement that runs in under 200. The
    bench's server has no JIT, so its figures are those of `jit` off."""
    return {"work_mem": settings.polku_query_work_mem, "enable_presorted_aggregate": "off",
            "plan_cache_mode": "force_custom_plan", "max_parallel_workers_per_gather": "0",
            "jit": "off"}


def build_definition(consumer_name: str = CONSUMER_NAME) -> ServiceDefinition:
    """The reporting service; `consumer_name` (group id, offsets key) only differs in tests
    that run a second instance beside the real one on the shared topics."""
    return ServiceDefinition(
        name="reporting",
        title="Polku reporting: indicators, operational lists, timelines, research extracts",
        default_port=8004,
        routers=ROUTERS,
        produces=None,
        consumes=TOPICS,
        consumers=lambda ctx: [reporting_consumer(consumer_name, record_keys(ctx.settings))],
        migrations=("services.reporting",),
        read_audit_tables=("timeline_reads",),
        session_settings=session_settings,
        on_start=_on_start,
        description="Reads every service topic into its own event_log and fact tables "
        "(one transaction per batch with the consumed offsets) and answers the indicators "
        "of INDICATORS.md, the operational lists, client timelines and research extracts.",
    )


definition = build_definition()
