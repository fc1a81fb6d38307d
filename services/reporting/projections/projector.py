"""Event envelopes → `event_log` (deduplicated) and insert-only fact rows."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from services.reporting.projections.facts import FACTS, Envelope

HELSINKI = ZoneInfo("Europe/Helsinki")
FACT_SCHEMAS = ("facts", "facts_next")

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
        parsed = parsed.replace(tzinfo=ZoneInfo("UTC"))
    return parsed


def local_date(moment: datetime) -> date:
    """The Finnish local (Europe/Helsinki) business date of an instant."""
    return moment.astimezone(HELSINKI).date()


def _client_id(envelope: Envelope) -> str | None:
    value = envelope.get("clientid") or (envelope.get("data") or {}).get("client_id")
    try:
        return str(uuid.UUID(str(value))) if value else None
    except ValueError:
        return None


def _times(envelope: Envelope) -> tuple[datetime, datetime]:
    recorded = parse_time(envelope["time"])
    occurred_raw = (envelope.get("data") or {}).get("occurred_at")
    return (parse_time(occurred_raw) if occurred_raw else recorded), recorded


async def project(
    conn: asyncpg.Connection, envelopes: Sequence[Envelope], *, schema: str = "facts"
) -> int:
    """Record `envelopes` in the caller's transaction; returns how many were new.

    Duplicates (already in `event_log`, or twice in the batch) are ignored, and only the new
    events become fact rows, so redelivery never double-counts.
    """
    unique: dict[str, Envelope] = {}
    for envelope in envelopes:
        unique.setdefault(str(uuid.UUID(str(envelope["id"]))), envelope)
    if not unique:
        return 0
    columns: list[list[Any]] = [[] for _ in range(8)]
    for event_id, envelope in unique.items():
        occurred, recorded = _times(envelope)
        row = (
            event_id, str(envelope.get("source", "")), str(envelope["type"]),
            str(envelope.get("subject", "")), _client_id(envelope), occurred, recorded,
            json.dumps(envelope),
        )
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    inserted = await conn.fetch(_INSERT_LOG, *columns)
    new_ids = {str(r["event_id"]) for r in inserted}
    await insert_facts(conn, (unique[i] for i in unique if i in new_ids), schema=schema)
    return len(new_ids)


def fact_rows(envelopes: Iterable[Envelope]) -> dict[str, list[tuple[Any, ...]]]:
    """Fact rows per table for `envelopes` (types without facts are skipped)."""
    rows: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for envelope in envelopes:
        spec = FACTS.get(envelope.get("type", ""))
        if spec is None:
            continue
        occurred, recorded = _times(envelope)
        common = (uuid.UUID(str(envelope["id"])), occurred, local_date(occurred), recorded)
        rows[spec.table].append(common + spec.values(envelope.get("data") or {}))
    return rows


async def insert_facts(
    conn: asyncpg.Connection, envelopes: Iterable[Envelope], *, schema: str = "facts"
) -> None:
    """COPY the fact rows of `envelopes` into `schema` (no deduplication here)."""
    if schema not in FACT_SCHEMAS:
        raise ValueError(f"unknown fact schema {schema!r}")
    columns = {spec.table: spec.column_names for spec in FACTS.values()}
    for table, records in fact_rows(envelopes).items():
        await conn.copy_records_to_table(
            table, records=records, columns=list(columns[table]), schema_name=schema
        )
