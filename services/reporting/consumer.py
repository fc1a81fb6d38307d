"""The reporting consumer: every event of every service topic → event_log and facts.

The consumer kit runs `project_batch` inside the transaction that also stores the consumed
offsets, so event_log, facts and offsets commit or roll back together; event_log
deduplicates by event id, so the kit's own `processed_events` bookkeeping is switched off.
"""

from __future__ import annotations

from functools import partial
from typing import cast
from uuid import UUID

import asyncpg

from contracts.events.base import Event
from contracts.registry import EVENT_TYPES_BY_TOPIC
from contracts.topics import SERVICE_TOPICS
from services.reporting.projections.keys import RecordKeys
from services.reporting.projections.projector import prepare, project_prepared
from services.runtime.intake import ConsumedEvent, ConsumerSpec
from services.runtime.metrics import PROJECTION_POSITION

TOPICS: tuple[str, ...] = tuple(SERVICE_TOPICS.values())
EVENT_TYPES: frozenset[str] = frozenset().union(*EVENT_TYPES_BY_TOPIC.values())
CONSUMER_NAME = "reporting"


async def projection_position(conn: asyncpg.Connection) -> int:
    """How many events event_log holds (kept exact by a trigger, migration 004)."""
    return int(await conn.fetchval("SELECT events FROM projection_position"))


async def project_batch(conn: asyncpg.Connection, events: list[ConsumedEvent], *,
                        keys: RecordKeys | None = None) -> None:
    """Project the batch from the envelopes and event models the consumer kit parsed, the
    fact rows with their units' record keys (`keys`)."""
    # The kit's `data` is what contracts.registry.parse_data returned: always an Event.
    await project_prepared(conn, [prepare(e.envelope, cast(Event, e.data)) for e in events],
                           keys=keys)
    PROJECTION_POSITION.labels("reporting").set(await projection_position(conn))


def reporting_consumer(name: str = CONSUMER_NAME, keys: RecordKeys | None = None
                       ) -> ConsumerSpec:
    """The consumer of the three service topics; `name` is its group and offsets key."""
    return ConsumerSpec(
        name=name, topics=TOPICS, subscribed_types=EVENT_TYPES,
        handler=partial(project_batch, keys=keys),
        dedup=False, seen=logged,
    )


async def logged(pool: asyncpg.Pool, ids: list[UUID]) -> set[UUID]:
    """The events in `event_log` (the consistency token's wait): what reporting has taken in."""
    rows = await pool.fetch("SELECT event_id FROM event_log WHERE event_id = ANY($1)", ids)
    return {r["event_id"] for r in rows}
