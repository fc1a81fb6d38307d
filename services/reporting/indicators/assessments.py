"""Assessment indicators: completions, health checks, repeated assessments, consultations."""

from __future__ import annotations

from typing import Any

from services.reporting.indicators.cells import (
    CLIENTS,
    ITEMS,
    CellGroup,
    CellSql,
    Count,
    month_of,
    region_of,
)
from services.reporting.indicators.query import Query, month
from services.reporting.indicators.rows import Group, Item


def count(group: Group) -> dict[str, Any]:
    return {"value": group.count()}


# The kind of a completed assessment is its (first) AssessmentStarted's: one index probe per
# completion, so looked up only when rows group by kind.
_KIND = """(SELECT s.kind FROM facts.assessments_started s
            WHERE s.assessment_id = c.assessment_id AND s.recorded_at <= $1
            ORDER BY s.local_date, s.recorded_at, s.event_id LIMIT 1)"""


# In SQL, read on the completion, which carries its id's one start (projections/firsts.py,
# OPENED_BY): the first when recorded by $1, else none yet; an id with several is probed.
_COMPLETED_KIND = f"""CASE c.openings WHEN 1 THEN CASE WHEN c.opened_recorded_at <= $1
        THEN c.opened_kind END WHEN 0 THEN NULL ELSE {_KIND} END"""


async def assessments_completed(q: Query) -> list[Item]:
    kind = _KIND if "kind" in q.group_by else "NULL::text"
    rows = await q.conn.fetch(
        f"""SELECT c.client_id, c.conclusion, c.benefit_recommendation, c.local_date,
                   {kind} AS kind
            FROM facts.assessments_completed c
            WHERE c.recorded_at <= $1 AND c.local_date BETWEEN $2 AND $3""",
        q.as_of, q.date_from, q.date_to,
    )
    await q.load_regions(r["client_id"] for r in rows)
    return [
        Item({
            "kind": r["kind"], "conclusion": r["conclusion"],
            "benefit_recommendation": r["benefit_recommendation"],
            "region": q.region(r["client_id"]), "month": month(r["local_date"]),
        }, r["client_id"])
        for r in rows
    ]


async def health_checks(q: Query) -> list[Item]:
    rows = await q.conn.fetch(
        """SELECT client_id, organisation_id, local_date FROM facts.health_checks
           WHERE recorded_at <= $1 AND local_date BETWEEN $2 AND $3""",
        q.as_of, q.date_from, q.date_to,
    )
    await q.load_regions(r["client_id"] for r in rows)
    return [
        Item({
            "organisation": r["organisation_id"], "region": q.region(r["client_id"]),
            "month": month(r["local_date"]),
        }, r["client_id"])
        for r in rows
    ]


# Each assessment started in the period, with the latest other assessment of its client and
# kind, not cancelled at `as_of`, dated 0–180 days before it (same date: recorded earlier);
# of equal dates and recorded times, the first event id.
# `{gate}`: the cells' condition on `a` under which the earlier one is looked up at all.
_STARTED_WITH_EARLIER = """facts.assessments_started a
LEFT JOIN LATERAL (
    SELECT true AS found, o.organisation_id FROM facts.assessments_started o
    WHERE {gate}o.client_id = a.client_id AND o.kind = a.kind AND o.assessment_id <> a.assessment_id
      AND o.recorded_at <= $1 AND o.local_date BETWEEN a.local_date - 180 AND a.local_date
      AND (o.local_date, o.recorded_at) < (a.local_date, a.recorded_at)
      AND NOT EXISTS (SELECT 1 FROM facts.assessments_cancelled c
                      WHERE c.assessment_id = o.assessment_id AND c.recorded_at <= $1)
    ORDER BY o.local_date DESC, o.recorded_at DESC, o.event_id LIMIT 1) e ON true
WHERE a.recorded_at <= $1 AND a.local_date BETWEEN $2 AND $3"""
_REPEATS = f"""
SELECT a.client_id, a.kind, a.organisation_id, a.local_date, e.found, e.organisation_id
       AS earlier_organisation
FROM {_STARTED_WITH_EARLIER.format(gate="")}
ORDER BY a.local_date, a.recorded_at, a.event_id"""


async def repeat_assessments(q: Query) -> list[Item]:
    rows = await q.conn.fetch(_REPEATS, q.as_of, q.date_from, q.date_to)
    await q.load_regions(r["client_id"] for r in rows)
    items = []
    for r in rows:
        keys = {
            "kind": r["kind"], "organisation": r["organisation_id"],
            "region": q.region(r["client_id"]), "month": month(r["local_date"]),
        }
        # None when not a repeat, else whether the earlier one was another organisation's.
        repeat = r["earlier_organisation"] != r["organisation_id"] if r["found"] else None
        items.append(Item(keys, r["client_id"], repeat))
    return items


def repeats(group: Group) -> dict[str, Any]:
    # data: None when not a repeat, else whether the earlier one was another organisation's.
    repeated = [i for i in group.items if i.data is not None]
    repeats = group.count(repeated)
    return {
        "value": repeats,
        "share": group.share(repeats, group.count()),
        "other_org_share": group.share(group.count(i for i in repeated if i.data), repeats),
    }


async def consultations(q: Query) -> list[Item]:
    rows = await q.conn.fetch(
        """SELECT consultation_id, client_id, requesting_organisation_id, requesting_org_kind,
                  consultant_role, topic, local_date FROM facts.consultations
           WHERE recorded_at <= $1 AND local_date BETWEEN $2 AND $3""",
        q.as_of, q.date_from, q.date_to,
    )
    return [
        Item({
            "requesting_org_kind": r["requesting_org_kind"],
            "consultant_role": r["consultant_role"], "topic": r["topic"],
            # Always the requesting organisation's region, even when a client is named.
            "region": q.org_region(r["requesting_organisation_id"]),
            "month": month(r["local_date"]),
        }, r["client_id"], record=r["consultation_id"])
        for r in rows
    ]


# Aggregated in SQL (cells.py): the same selections and reducers as above, one row per cell.
# `consultations` stays item-based: its region is the requesting organisation's, which only
# the registry (`OrgLookup`) knows and which cannot list its organisations for a statement.



def assessments_completed_cells(q: Query) -> CellSql:
    keys = {
        "kind": _COMPLETED_KIND, "conclusion": "c.conclusion",
        "benefit_recommendation": "c.benefit_recommendation",
        "region": region_of("c"), "month": month_of("c.local_date"),
    }
    source = ("facts.assessments_completed c"
              " WHERE c.recorded_at <= $1 AND c.local_date BETWEEN $2 AND $3")
    return CellSql(source, keys, {"client_id": "c.client_id"}, {"n": CLIENTS, "items": ITEMS})


def health_checks_cells(q: Query) -> CellSql:
    keys = {"organisation": "h.organisation_id", "region": region_of("h"),
            "month": month_of("h.local_date")}
    source = ("facts.health_checks h"
              " WHERE h.recorded_at <= $1 AND h.local_date BETWEEN $2 AND $3")
    return CellSql(source, keys, {"client_id": "h.client_id"}, {"n": CLIENTS, "items": ITEMS})


def repeat_assessments_cells(q: Query) -> CellSql:
    keys = {"kind": "a.kind", "organisation": "a.organisation_id",
            "region": region_of("a"), "month": month_of("a.local_date")}
    columns = {
        "client_id": "a.client_id", "repeat": "e.found IS NOT NULL",
        "other_org": "e.found IS NOT NULL AND e.organisation_id IS DISTINCT FROM"
                     " a.organisation_id",
    }
    counts = {"n": CLIENTS, "items": ITEMS, "repeats": Count("count(*)", where="repeat"),
              "other_org": Count("count(*)", where="other_org")}
    # Looked up only when an earlier one was recorded by $1 (projections/stamps.py, PRIOR).
    source = _STARTED_WITH_EARLIER.format(gate="a.prior_recorded_at <= $1 AND ")
    return CellSql(source, keys, columns, counts)


def repeats_cell(group: CellGroup) -> dict[str, Any]:
    repeats = group.count("repeats")
    return {
        "value": repeats,
        "share": group.share(repeats, group.count()),
        "other_org_share": group.share(group.count("other_org"), repeats),
    }
