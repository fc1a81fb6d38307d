"""Which row is the first of its id, as known at any `as_of`, kept on the row itself.

INDICATORS.md counts a referral, case or placement at its *first* event (by business date,
then recorded time, then event id: Ties), as the facts existed at `as_of`. A late record
can re-date an id's first event, so the first row depends on `as_of`. Asking "does an
earlier row of this id exist, recorded by `as_of`?" per counted row is an index probe each
and a scan of the id's whole history; instead each row of these tables carries
`superseded_at`: the earliest recorded time of a row of the same id that sorts before it
(null: none does). Then a row is its id's first as of `as_of` exactly when

    recorded_at <= as_of AND (superseded_at IS NULL OR superseded_at > as_of)

a filter on the row alone, for every `as_of`, past or present. The value is a function of
the rows of the id, recomputed for the ids of every batch projected (rarely changing
anything: only a second row of an id sorts before an earlier one), for the whole table after
a rebuild, and by migration 009 for existing rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from services.reporting.projections.facts import FACT_COLUMNS

# Fact table → the id whose first row indicators count.
FIRST_OF: dict[str, str] = {
    "referrals": "referral_id", "referral_decisions": "referral_id",
    "cases_opened": "case_id", "cases_closed": "case_id",
    "assessments_started": "assessment_id", "engagements_started": "engagement_id",
    "placements_started": "placement_id", "placements_ended": "placement_id",
}


def _update(schema: str, table: str, key: str, where: str) -> str:
    """SQL: set `superseded_at` of the rows of `table` selected by `where` (in the inner
    selection, alias-free) to the earliest recorded time of the rows of their id before them."""
    return f"""
        UPDATE {schema}.{table} t SET superseded_at = s.before
        FROM (SELECT event_id, min(recorded_at) OVER (
                  PARTITION BY {key} ORDER BY local_date, recorded_at, event_id
                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
              FROM {schema}.{table} WHERE {where}) s
        WHERE t.event_id = s.event_id AND t.superseded_at IS DISTINCT FROM s.before"""


async def supersede(conn: asyncpg.Connection, rows: dict[str, list[tuple[Any, ...]]], *,
                    schema: str) -> None:
    """Recompute `superseded_at` of every row of the ids of the fact rows just copied (in
    the caller's transaction). Writers of the same id take turns (an advisory lock per id,
    in one order), so each one's statement sees the other's committed rows."""
    for table, key in FIRST_OF.items():
        records = rows.get(table)
        if not records:
            continue
        at = FACT_COLUMNS[table].index(key)
        ids = sorted({r[at] for r in records if r[at] is not None})
        await _lock(conn, table, ids)
        await conn.execute(_update(schema, table, key, f"{key} = ANY($1::text[])"), ids)


async def _lock(conn: asyncpg.Connection, table: str, ids: Sequence[str]) -> None:
    await conn.execute(
        "SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended($1 || i, 0) h"
        " FROM unnest($2::text[]) i) l ORDER BY h", f"facts.{table}:", list(ids))


async def supersede_all(conn: asyncpg.Connection, *, schema: str) -> None:
    """`superseded_at` of every row (after a rebuild filled `schema`'s tables)."""
    for table, key in FIRST_OF.items():
        await conn.execute(_update(schema, table, key, "true"))


__all__ = ["FIRST_OF", "supersede", "supersede_all"]
