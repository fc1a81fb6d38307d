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

from typing import Any

import asyncpg

from services.reporting.projections.facts import ids_of
from services.reporting.projections.stamps import stamp, stamp_all

# Fact table → the id whose first row indicators count.
FIRST_OF: dict[str, str] = {
    "referrals": "referral_id", "referral_decisions": "referral_id",
    "cases_opened": "case_id", "cases_closed": "case_id",
    "assessments_started": "assessment_id", "engagements_started": "engagement_id",
    "engagements_ended": "engagement_id",
    "placements_started": "placement_id", "placements_ended": "placement_id",
}

# Opening fact table → the table of what ends it and their id. Each opening row carries
# `ended_at`: the earliest recorded time of an end of its id (null: none), so "no end known
# at `as_of`" (`ended_at IS NULL OR ended_at > as_of`) is an index range of the open and
# the lately ended, not a look at every id ever opened.
ENDED_BY: dict[str, tuple[str, str]] = {
    "cases_opened": ("cases_closed", "case_id"),
    "referrals": ("referral_decisions", "referral_id"),
    "engagements_started": ("engagements_ended", "engagement_id"),
}


# Fact table → the id whose latest row (by recorded time, then the least event id) is what
# holds at `as_of`: a client's registration (home region). Each row carries `replaced_at`:
# the recorded time of the next row of its id in that order (null: none), so the row holding
# at `as_of` is `recorded_at <= as_of AND (replaced_at IS NULL OR replaced_at > as_of)`,
# which a join can hash.
LATEST_OF: dict[str, str] = {"clients": "client_id"}


# Ending fact table → its opening table, their id, and the opening's columns the ending row
# carries (as `opened_<column>`, with `openings`: how many opening rows its id has, and
# `opened_on`, `opened_recorded_at`). With exactly one opening, "the id's first opening as
# of `as_of`" is that row when `opened_recorded_at <= as_of`: read on the ending row itself,
# without joining the openings (a hash of every opening ever). The few ids with several
# openings (re-dated late records) join them as before.
OPENED_BY: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "cases_closed": ("cases_opened", "case_id", (
        "client_id", "service", "organisation_id", "responsible_worker_id")),
    "referral_decisions": ("referrals", "referral_id", (
        "client_id", "referring_org_kind", "target_service", "triage",
        "target_organisation_id")),
    "assessments_completed": ("assessments_started", "assessment_id", ("kind",)),
}


def _opening(schema: str, table: str, where: str) -> str:
    """SQL: set the opening columns of the ending rows of `table` whose id `where` selects
    (on the id column `id`) from their id's opening rows."""
    opening, key, columns = OPENED_BY[table]
    copied = ["local_date", "recorded_at", *columns]
    names = ["opened_on", "opened_recorded_at", *(f"opened_{c}" for c in columns)]
    values = ", ".join(f"CASE WHEN m.n = 1 THEN m.{c} END" for c in copied)
    return f"""
        UPDATE {schema}.{table} t SET (openings, {", ".join(names)}) = (m.n, {values})
        FROM (SELECT e.event_id, o.n, {", ".join(f"o.{c}" for c in copied)}
              FROM {schema}.{table} e CROSS JOIN LATERAL (
                  SELECT count(*) AS n, {", ".join(f"min(x.{c}) AS {c}" for c in copied)}
                  FROM {schema}.{opening} x WHERE x.{key} = e.{key}) o
              WHERE {where.format(id=f"e.{key}")}) m
        WHERE t.event_id = m.event_id AND (t.openings, {", ".join(f"t.{n}" for n in names)})
            IS DISTINCT FROM (m.n, {values})"""


def _replace(schema: str, table: str, key: str, where: str) -> str:
    """SQL: set `replaced_at` of the rows of `table` selected by `where` to the recorded time
    of the row of their id that replaces them."""
    return f"""
        UPDATE {schema}.{table} t SET replaced_at = s.next
        FROM (SELECT event_id, lead(recorded_at) OVER (
                  PARTITION BY {key} ORDER BY recorded_at, event_id DESC) AS next
              FROM {schema}.{table} WHERE {where}) s
        WHERE t.event_id = s.event_id AND t.replaced_at IS DISTINCT FROM s.next"""


def _supersede(schema: str, table: str, key: str, where: str) -> str:
    """SQL: set `superseded_at` of the rows of `table` selected by `where` (in the inner
    selection, alias-free) to the earliest recorded time of the rows of their id before them."""
    return f"""
        UPDATE {schema}.{table} t SET superseded_at = s.before
        FROM (SELECT event_id, min(recorded_at) OVER (
                  PARTITION BY {key} ORDER BY local_date, recorded_at, event_id
                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
              FROM {schema}.{table} WHERE {where}) s
        WHERE t.event_id = s.event_id AND t.superseded_at IS DISTINCT FROM s.before"""


def _end(schema: str, table: str, where: str) -> str:
    """SQL: set `ended_at` of the rows of opening `table` whose id `where` selects (on the
    id column `id`) to the earliest recorded time of an end of their id."""
    ending, key = ENDED_BY[table]
    return f"""
        UPDATE {schema}.{table} t SET ended_at = m.ended
        FROM (SELECT o.event_id, e.ended FROM {schema}.{table} o
              LEFT JOIN (SELECT {key}, min(recorded_at) AS ended FROM {schema}.{ending}
                         WHERE {where.format(id=key)} GROUP BY {key}) e ON e.{key} = o.{key}
              WHERE {where.format(id=f"o.{key}")}) m
        WHERE t.event_id = m.event_id AND t.ended_at IS DISTINCT FROM m.ended"""


async def mark(conn: asyncpg.Connection, rows: dict[str, list[tuple[Any, ...]]], *,
               schema: str) -> None:
    """Recompute the marks (`superseded_at`, `replaced_at`, `ended_at`, the openings copied
    onto their ends, the closes' measured stamps: projections/stamps.py) of every row of
    the ids of the fact rows just copied (in the caller's transaction). Writers of the same
    id take turns (one advisory lock per table and id, all taken at once in one order), so
    each one's statements see the other's committed rows."""
    firsts = {table: ids_of(rows, table, key) for table, key in FIRST_OF.items()}
    latest = {table: ids_of(rows, table, key) for table, key in LATEST_OF.items()}
    ends = {table: ids_of(rows, table, key) | ids_of(rows, ending, key)
            for table, (ending, key) in ENDED_BY.items()}
    # Under the opening table's name: the same locks as its ends' (one turn per id).
    opened = {opening: ids_of(rows, opening, key) | ids_of(rows, table, key)
              for table, (opening, key, _) in OPENED_BY.items()}
    locks = {f"facts.{table}:{i}" for touched in (firsts, latest, ends, opened)
             for table, ids in touched.items() for i in ids}
    if locks:
        await conn.execute(
            "SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(l, 0) h"
            " FROM unnest($1::text[]) l) l ORDER BY h", sorted(locks))
    for table, ids in firsts.items():
        if ids:
            key = FIRST_OF[table]
            await conn.execute(_supersede(schema, table, key, f"{key} = ANY($1::text[])"),
                               sorted(ids))
    for table, ids in latest.items():
        if ids:
            key = LATEST_OF[table]
            await conn.execute(_replace(schema, table, key, f"{key} = ANY($1::text[])"),
                               sorted(ids))
    for table, ids in ends.items():
        if ids:
            await conn.execute(_end(schema, table, "{id} = ANY($1::text[])"), sorted(ids))
    for table, (opening, _, _) in OPENED_BY.items():
        if opened[opening]:
            await conn.execute(_opening(schema, table, "{id} = ANY($1::text[])"),
                               sorted(opened[opening]))
    # Then the measured stamps of the closes, which read the openings copied just now.
    await stamp(conn, rows, schema=schema)


async def mark_all(conn: asyncpg.Connection, *, schema: str) -> None:
    """Every mark of every row (after a rebuild filled `schema`)."""
    for table, key in FIRST_OF.items():
        await conn.execute(_supersede(schema, table, key, "true"))
    for table, key in LATEST_OF.items():
        await conn.execute(_replace(schema, table, key, "true"))
    for table in ENDED_BY:
        await conn.execute(_end(schema, table, "true"))
    for table in OPENED_BY:
        await conn.execute(_opening(schema, table, "true"))
    await stamp_all(conn, schema=schema)


__all__ = ["ENDED_BY", "FIRST_OF", "LATEST_OF", "OPENED_BY", "mark", "mark_all"]
