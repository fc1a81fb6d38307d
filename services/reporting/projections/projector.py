"""Event envelopes → `event_log` (deduplicated) and insert-only fact rows.

This is the hot path of the live consumer and of every replay, so each envelope is read
once: its id, times and client are parsed a single time and shared by the event_log row
and the fact row, its JSON is serialised once (pydantic-core, not the json module), and the
fact rows go in by COPY.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo

import asyncpg
from pydantic_core import from_json, to_json

from services.reporting.projections.facts import FACTS, Envelope

if TYPE_CHECKING:
    from contracts.envelope import Envelope as EnvelopeModel

HELSINKI = ZoneInfo("Europe/Helsinki")
FACT_SCHEMAS = ("facts", "facts_next")
_UTC = ZoneInfo("UTC")

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


def parse_time(value: str) -> datetime:
    """RFC 3339 → aware datetime (a naive value is taken as UTC)."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_UTC)
    return parsed


def local_date(moment: datetime) -> date:
    """The Finnish local (Europe/Helsinki) business date of an instant."""
    return moment.astimezone(HELSINKI).date()


def _as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _optional_uuid(value: Any) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return _as_uuid(value)
    except ValueError:
        return None


def _client_id(envelope: Envelope) -> uuid.UUID | None:
    return _optional_uuid(envelope.get("clientid") or (envelope.get("data") or {}).get("client_id"))


def _occurred(data: dict[str, Any], recorded: datetime) -> datetime:
    occurred_raw = data.get("occurred_at")
    return parse_time(occurred_raw) if occurred_raw else recorded


def _times(envelope: Envelope) -> tuple[datetime, datetime]:
    recorded = parse_time(envelope["time"])
    return _occurred(envelope.get("data") or {}, recorded), recorded


class Prepared(NamedTuple):
    """One envelope, parsed once: its event_log columns, its JSON and its data."""

    event_id: uuid.UUID
    source: str
    type: str
    subject: str
    client_id: uuid.UUID | None
    occurred_at: datetime
    recorded_at: datetime
    json: str
    data: dict[str, Any]


def prepare(envelope: Envelope) -> Prepared:
    """An envelope dict (as the consumer kit hands it over) ready to record."""
    data = envelope.get("data") or {}
    recorded = parse_time(envelope["time"])
    return Prepared(
        _as_uuid(envelope["id"]), str(envelope.get("source", "")), str(envelope["type"]),
        str(envelope.get("subject", "")), _client_id(envelope), _occurred(data, recorded),
        recorded, to_json(envelope).decode(), data,
    )


_OMITTED_WHEN_NONE = ("clientid", "causationid")


def prepare_model(envelope: EnvelopeModel, raw: bytes | None = None) -> Prepared:
    """A validated contracts Envelope, recorded exactly as its `to_dict()` would be; or, given
    the message `raw` it was validated from, as that JSON (the same attributes and data: the
    model keeps unknown extensions and the data as sent, so only formatting can differ)."""
    data = envelope.data
    recorded = envelope.time
    if raw is not None:
        text = raw.decode()
    else:
        omitted = {name for name in _OMITTED_WHEN_NONE if getattr(envelope, name) is None}
        text = envelope.model_dump_json(exclude=omitted or None)
    return Prepared(
        envelope.id, envelope.source, envelope.type, envelope.subject,
        envelope.clientid or _optional_uuid(data.get("client_id")), _occurred(data, recorded),
        recorded, text, data,
    )


async def project(
    conn: asyncpg.Connection, envelopes: Sequence[Envelope], *, schema: str = "facts"
) -> int:
    """Record `envelopes` in the caller's transaction; returns how many were new.

    Duplicates (already in `event_log`, or twice in the batch) are ignored, and only the new
    events become fact rows, so redelivery never double-counts.
    """
    return await project_prepared(conn, [prepare(e) for e in envelopes], schema=schema)


async def project_prepared(
    conn: asyncpg.Connection, events: Sequence[Prepared], *, schema: str = "facts",
    shadow: bool = False,
) -> int:
    """`project` for events already parsed (`prepare`, `prepare_model`).

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
    await copy_fact_rows(conn, facts, schema=schema)
    if shadow and rows:
        await copy_fact_rows(conn, facts, schema="facts_next")
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
    for event in events:
        spec = FACTS.get(event.type)
        if spec is not None:
            occurred = event.occurred_at
            rows[spec.table].append(
                (event.event_id, occurred, local_date(occurred), event.recorded_at,
                 *spec.values(event.data))
            )
    return rows


def fact_rows(envelopes: Iterable[Envelope]) -> dict[str, list[tuple[Any, ...]]]:
    """Fact rows per table for `envelopes` (types without facts are skipped)."""
    rows: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for envelope in envelopes:
        spec = FACTS.get(envelope.get("type", ""))
        if spec is None:
            continue
        occurred, recorded = _times(envelope)
        rows[spec.table].append((_as_uuid(envelope["id"]), occurred, local_date(occurred),
                                 recorded, *spec.values(envelope.get("data") or {})))
    return rows


def logged_fact_rows(records: Iterable[asyncpg.Record]) -> dict[str, list[tuple[Any, ...]]]:
    """Fact rows from event_log rows selected as (event_id, type, time, data, ...): the
    envelope's type, `time` and `data` (JSON text), any further columns ignored; the same
    rows `fact_rows` makes of the whole envelope."""
    rows: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    facts_get = FACTS.get
    for event_id, type_, time, data_json, *_ in records:
        spec = facts_get(type_ or "")
        if spec is None:
            continue
        data = (from_json(data_json) if data_json is not None else None) or {}
        recorded = parse_time(time)
        occurred = _occurred(data, recorded)
        rows[spec.table].append(
            (event_id, occurred, local_date(occurred), recorded, *spec.values(data))
        )
    return rows


_COLUMNS = {spec.table: list(spec.column_names) for spec in FACTS.values()}


async def copy_fact_rows(
    conn: asyncpg.Connection, rows: dict[str, list[tuple[Any, ...]]], *, schema: str = "facts"
) -> None:
    """COPY fact rows (per table) into `schema`."""
    if schema not in FACT_SCHEMAS:
        raise ValueError(f"unknown fact schema {schema!r}")
    for table, records in rows.items():
        await conn.copy_records_to_table(
            table, records=records, columns=_COLUMNS[table], schema_name=schema
        )


async def insert_facts(
    conn: asyncpg.Connection, envelopes: Iterable[Envelope], *, schema: str = "facts"
) -> None:
    """COPY the fact rows of `envelopes` into `schema` (no deduplication here)."""
    if schema not in FACT_SCHEMAS:
        raise ValueError(f"unknown fact schema {schema!r}")
    await copy_fact_rows(conn, fact_rows(envelopes), schema=schema)
