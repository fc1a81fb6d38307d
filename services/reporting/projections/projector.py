"""Typed events → `event_log` (deduplicated) and insert-only fact rows.

Every event arrives as its contracts Envelope and the event model `contracts.registry`
parsed its data into (the consumer kit and replay parse once, here nothing is parsed
again); fact columns are read off the typed event (projections.facts). This is the hot path
of the live consumer and of every replay, so each event's JSON is serialised at most once
(or taken as received) and the fact rows go in by COPY.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import asyncpg
from pydantic_core import from_json

from contracts.envelope import Envelope
from contracts.events.base import Event
from contracts.registry import REGISTRY, parse_data
from services.reporting.projections.facts import FACT_COLUMNS, FACTS
from services.reporting.projections.firsts import mark
from services.reporting.projections.keys import RecordKeys

HELSINKI = ZoneInfo("Europe/Helsinki")
FACT_SCHEMAS = ("facts", "facts_next")

_LOG_COLUMNS = ("event_id", "source", "type", "subject", "client_id", "occurred_at",
                "recorded_at", "envelope")

# The exact number of events in event_log (migration 005): every writer of event_log comes
# through project_prepared, which advances it in the same transaction.
_ADVANCE_POSITION = "UPDATE projection_position SET events = events + $1"

_ALREADY_LOGGED = "SELECT event_id FROM event_log WHERE event_id = ANY($1::uuid[])"

_INSERT_LOG = """
INSERT INTO event_log (event_id, source, type, subject, client_id, occurred_at, recorded_at,
                       envelope)
SELECT i, s, t, sub, c, o, r, e::jsonb
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::timestamptz[],
            $7::timestamptz[], $8::text[]) AS x(i, s, t, sub, c, o, r, e)
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id
"""


def local_date(moment: datetime) -> date:
    """The Finnish local (Europe/Helsinki) business date of an instant."""
    return moment.astimezone(HELSINKI).date()


class Prepared(NamedTuple):
    """One event ready to record: its event_log columns, its JSON and its typed body."""

    event_id: uuid.UUID
    source: str
    type: str
    subject: str
    client_id: uuid.UUID | None
    occurred_at: datetime
    recorded_at: datetime
    json: str
    event: Event


_OMITTED_WHEN_NONE = ("clientid", "causationid")


def prepare(envelope: Envelope, event: Event, raw: bytes | None = None) -> Prepared:
    """An envelope and the event `contracts.registry` parsed its data into, recorded
    exactly as the envelope's `to_dict()` would be; or, given the message `raw` it was
    validated from, as that JSON (the same attributes and data: the envelope keeps unknown
    extensions and the data as sent, so only formatting can differ)."""
    if raw is not None:
        text = raw.decode()
    else:
        omitted = {name for name in _OMITTED_WHEN_NONE if getattr(envelope, name) is None}
        text = envelope.model_dump_json(exclude=omitted or None)
    return Prepared(
        envelope.id, envelope.source, envelope.type, envelope.subject,
        envelope.clientid or event.client_key, event.occurred_at, envelope.time, text, event,
    )


async def project(
    conn: asyncpg.Connection, envelopes: Sequence[Envelope], *, schema: str = "facts",
    keys: RecordKeys | None = None,
) -> int:
    """Record `envelopes` in the caller's transaction; returns how many were new.

    Each envelope's data is parsed with `contracts.registry` first (raising as the consumer
    kit would dead-letter it). Duplicates (already in `event_log`, or twice in the batch)
    are ignored, and only the new events become fact rows, so redelivery never
    double-counts. With `keys`, the fact rows carry their units' record keys (keys.py).
    """
    prepared = [prepare(e, parse_data(e)) for e in envelopes]
    return await project_prepared(conn, prepared, schema=schema, keys=keys)


async def project_prepared(
    conn: asyncpg.Connection, events: Sequence[Prepared], *, schema: str = "facts",
    shadow: bool = False, keys: RecordKeys | None = None,
) -> int:
    """`project` for events already parsed (`prepare`).

    With `shadow` (a replay from the topics, while a rebuild fills `facts_next`), the new
    events' fact rows go into the shadow schema as well, and their ids into its
    `rebuild_seen`, so the swap neither misses nor repeats them.
    """
    unique: dict[uuid.UUID, Prepared] = {}
    for event in events:
        unique.setdefault(event.event_id, event)
    if not unique:
        return 0
    # In id order: concurrent writers of overlapping batches (the live consumer and a replay,
    # or a replay's writers) then wait on one another's ids in one order, never deadlock.
    rows = await _log_new(conn, sorted(unique.values(), key=lambda e: e.event_id.int))
    facts = _prepared_fact_rows(rows)
    await copy_fact_rows(conn, facts, schema=schema, keys=keys)
    await mark(conn, facts, schema=schema)
    if keys is not None:
        await keys.register(conn, facts)
    if shadow and rows:
        await copy_fact_rows(conn, facts, schema="facts_next", keys=keys)
        await mark(conn, facts, schema="facts_next")
        await conn.copy_records_to_table(
            "rebuild_seen", records=[(e.event_id,) for e in rows], columns=["event_id"],
            schema_name="facts_next",
        )
    if rows:  # last: concurrent writers wait for this row's lock only until the commit
        await conn.execute(_ADVANCE_POSITION, len(rows))
    return len(rows)


async def _log_new(conn: asyncpg.Connection, events: list[Prepared]) -> list[Prepared]:
    """Insert the events event_log does not hold yet; return those (ids unique in `events`).

    The fast way is COPY (less than half the server's work of an INSERT from arrays), of
    the events an index lookup did not find. COPY cannot skip a conflict, though, so it runs
    in a savepoint: should a concurrent writer (the live consumer during a replay) log one of
    them first, the savepoint is rolled back and INSERT ... ON CONFLICT DO NOTHING decides.
    """
    logged = await conn.fetch(_ALREADY_LOGGED, [e.event_id for e in events])
    if logged:
        known = {r["event_id"] for r in logged}
        events = [e for e in events if e.event_id not in known]
    if not events:
        return events
    try:
        async with conn.transaction():  # a savepoint in the caller's transaction
            await conn.copy_records_to_table(
                "event_log", columns=_LOG_COLUMNS,
                records=[(e.event_id, e.source, e.type, e.subject, e.client_id,
                          e.occurred_at, e.recorded_at, e.json) for e in events],
            )
        return events
    except asyncpg.UniqueViolationError:
        pass
    inserted = await conn.fetch(
        _INSERT_LOG,
        [e.event_id for e in events], [e.source for e in events], [e.type for e in events],
        [e.subject for e in events], [e.client_id for e in events],
        [e.occurred_at for e in events], [e.recorded_at for e in events],
        [e.json for e in events],
    )
    if len(inserted) < len(events):
        new_ids = {r["event_id"] for r in inserted}
        events = [e for e in events if e.event_id in new_ids]
    return events


def _prepared_fact_rows(events: Iterable[Prepared]) -> dict[str, list[tuple[Any, ...]]]:
    rows: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    facts_get = FACTS.get
    for e in events:
        spec = facts_get(e.type)
        if spec is not None:
            occurred = e.occurred_at
            rows[spec.table].append((e.event_id, occurred, local_date(occurred),
                                     e.recorded_at, *spec.row(e.event)))
    return rows


def logged_fact_rows(records: Iterable[asyncpg.Record]) -> dict[str, list[tuple[Any, ...]]]:
    """Fact rows from event_log rows selected as (event_id, type, dataversion, occurred_at,
    local_date, recorded_at, data, ...), any further columns ignored: the data (JSON text)
    is parsed with `contracts.registry` (upcast when older than the model its fact spec
    reads); the same rows the event made when it was projected live."""
    rows: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    facts_get = FACTS.get
    for event_id, type_, version, occurred, day, recorded, data_json, *_ in records:
        spec = facts_get(type_)
        if spec is None:
            continue
        model = spec.model
        if version == model.data_version:  # the common case: straight from the JSON text
            event = model.__pydantic_validator__.validate_json(data_json)
        else:
            event = REGISTRY.parse(type_, version, from_json(data_json))
        rows[spec.table].append((event_id, occurred, day, recorded, *spec.row(event)))
    return rows


async def copy_fact_rows(
    conn: asyncpg.Connection, rows: dict[str, list[tuple[Any, ...]]], *, schema: str = "facts",
    keys: RecordKeys | None = None,
) -> None:
    """COPY fact rows (per table) into `schema`, with `keys` their units' record keys."""
    if schema not in FACT_SCHEMAS:
        raise ValueError(f"unknown fact schema {schema!r}")
    for table, records in rows.items():
        columns = FACT_COLUMNS[table]
        if keys is not None:
            records, columns = keys.keyed_rows(table, records), columns + keys.columns(table)
        await conn.copy_records_to_table(
            table, records=records, columns=columns, schema_name=schema
        )

