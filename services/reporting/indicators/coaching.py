"""Coaching indicators: employment, employer contacts, placements, retention, IPS fidelity."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

import asyncpg

from services.reporting.indicators import stats
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
from services.reporting.indicators.selections import first_of, not_ended

EMPLOYED = ("open_market_job", "pay_subsidised_job")


# The engagement's first end date as of $1 (null while it runs).
_ENDED = """(SELECT min(e.local_date) FROM facts.engagements_ended e
             WHERE e.engagement_id = s.engagement_id AND e.recorded_at <= $1)"""


async def _engagements_started_in(q: Query) -> list[asyncpg.Record]:
    """Engagements started (first `CoachingStarted`) in the period, with their first employer
    contact date (any date)."""
    rows: list[asyncpg.Record] = await q.conn.fetch(
        f"""SELECT s.client_id, s.organisation_id, s.local_date AS started,
                   (SELECT min(c.local_date) FROM facts.employer_contacts c
                    WHERE c.engagement_id = s.engagement_id AND c.recorded_at <= $1)
                       AS first_contact
            FROM facts.engagements_started s
            WHERE s.local_date BETWEEN $2 AND $3
              AND {first_of("engagements_started", "s", "engagement_id")}
            ORDER BY s.engagement_id""",
        q.as_of, q.date_from, q.date_to,
    )
    await q.load_regions(r["client_id"] for r in rows)
    return rows


async def _engagements_active_in(q: Query) -> list[asyncpg.Record]:
    """Engagements active in the period (started by `to`, not ended before `from`), with
    their first end date."""
    rows: list[asyncpg.Record] = await q.conn.fetch(
        f"""SELECT s.*, {_ENDED} AS ended FROM (
                SELECT DISTINCT ON (s.engagement_id) s.engagement_id, s.client_id,
                       s.organisation_id, s.local_date AS started
                FROM facts.engagements_started s
                WHERE s.recorded_at <= $1 AND s.local_date <= $3
                  AND NOT EXISTS (SELECT 1 FROM facts.engagements_ended e
                                  WHERE e.engagement_id = s.engagement_id
                                    AND e.recorded_at <= $1 AND e.local_date < $2)
                ORDER BY s.engagement_id, s.local_date, s.recorded_at, s.event_id) s""",
        q.as_of, q.date_from, q.date_to,
    )
    await q.load_regions(r["client_id"] for r in rows)
    return rows


async def _placements_of(q: Query, clients: list[str]) -> dict[str, list[asyncpg.Record]]:
    """The clients' placements (first `PlacementStarted`) started by `to`, by client."""
    rows = await q.conn.fetch(
        f"""SELECT s.client_id, s.kind, s.local_date AS started FROM facts.placements_started s
            WHERE s.client_id = ANY($2::text[]) AND s.local_date <= $3
              AND {first_of("placements_started", "s", "placement_id")}""",
        q.as_of, clients, q.date_to,
    )
    placements: dict[str, list[asyncpg.Record]] = defaultdict(list)
    for p in rows:
        placements[p["client_id"]].append(p)
    return placements


async def _placements_started_in(q: Query) -> list[asyncpg.Record]:
    """Placements started (first `PlacementStarted`) in the period, with their first end."""
    rows: list[asyncpg.Record] = await q.conn.fetch(
        f"""SELECT s.client_id, s.kind, s.wage_subsidy, s.local_date AS started,
                   e.local_date AS ended, e.reason AS end_reason
            FROM facts.placements_started s
            LEFT JOIN LATERAL (
                SELECT local_date, reason FROM facts.placements_ended x
                WHERE x.placement_id = s.placement_id AND x.recorded_at <= $1
                ORDER BY x.local_date, x.recorded_at, x.event_id LIMIT 1) e ON true
            WHERE s.local_date BETWEEN $2 AND $3
              AND {first_of("placements_started", "s", "placement_id")}
            ORDER BY s.placement_id""",
        q.as_of, q.date_from, q.date_to,
    )
    await q.load_regions(r["client_id"] for r in rows)
    return rows


async def coaching_employment_rate(q: Query) -> list[Item]:
    engagements = await _engagements_active_in(q)
    placements = await _placements_of(q, list({e["client_id"] for e in engagements}))
    items = []
    for e in engagements:
        last: date = min(e["ended"] or q.date_to, q.date_to)
        window = [p for p in placements[e["client_id"]] if e["started"] <= p["started"] <= last]
        keys = {"organisation": e["organisation_id"], "region": q.region(e["client_id"])}
        employed = any(p["kind"] in EMPLOYED for p in window)
        items.append(Item(keys, e["client_id"], (employed, bool(window))))
    return items


def employment(group: Group) -> dict[str, Any]:
    # A client with several engagements in the row counts once: employed if any window is.
    employed: dict[str | None, bool] = {}
    placed: dict[str | None, bool] = {}
    for item in group.items:
        employed[item.client] = employed.get(item.client, False) or item.data[0]
        placed[item.client] = placed.get(item.client, False) or item.data[1]
    clients = group.clients()
    return {
        "value": group.share(group.clients(i for i in group.items if employed[i.client]),
                             clients),
        "any_placement_share": group.share(
            group.clients(i for i in group.items if placed[i.client]), clients),
    }


async def days_to_first_employer_contact(q: Query) -> list[Item]:
    return [
        Item(
            {"organisation": e["organisation_id"], "region": q.region(e["client_id"]),
             "month": month(e["started"])},
            e["client_id"], (e["first_contact"] - e["started"]).days,
        )
        for e in await _engagements_started_in(q) if e["first_contact"] is not None
    ]


def contact_days(group: Group) -> dict[str, Any]:
    days = [i.data for i in group.items]
    return {"value": stats.median(days),
            "share_within_30": group.proportion(i for i in group.items if i.data <= 30)}


def _placement_keys(q: Query, p: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": p["kind"], "wage_subsidy": p["wage_subsidy"], "region": q.region(p["client_id"]),
        "month": month(p["started"]),
    }


async def placements_started(q: Query) -> list[Item]:
    return [
        Item(_placement_keys(q, p), p["client_id"]) for p in await _placements_started_in(q)
    ]


def count(group: Group) -> dict[str, Any]:
    return {"value": group.count()}


async def placement_retention_90d(q: Query) -> list[Item]:
    items = []
    for p in await _placements_started_in(q):
        if (q.as_of_date - p["started"]).days < 90:
            continue
        ended_early = (
            p["ended"] is not None and (p["ended"] - p["started"]).days < 90
            and p["end_reason"] != "converted_to_permanent"
        )
        items.append(Item(_placement_keys(q, p), p["client_id"], not ended_early))
    return items


def retention(group: Group) -> dict[str, Any]:
    return {"value": group.proportion(i for i in group.items if i.data)}


async def fidelity_score(q: Query) -> list[Item]:
    rows = await q.conn.fetch(
        """SELECT organisation_id, total, local_date, recorded_at FROM facts.fidelity_reviews
           WHERE recorded_at <= $1 AND local_date BETWEEN $2 AND $3
           ORDER BY local_date, recorded_at, event_id""",
        q.as_of, q.date_from, q.date_to,
    )
    return [
        Item({
            "organisation": r["organisation_id"], "region": q.org_region(r["organisation_id"]),
            "month": month(r["local_date"]),
        }, None, (r["local_date"], r["recorded_at"], r["total"]))
        for r in rows
    ]


def fidelity(group: Group) -> dict[str, Any]:
    reviews: list[tuple[date, datetime, int]] = [i.data for i in group.items]
    latest = max(reviews, key=lambda r: (r[0], r[1]))
    return {"value": latest[2], "reviews": len(reviews)}


# Aggregated in SQL (cells.py): the same selections and reducers as above, one row per cell.
# fidelity_score stays on its items: its region is the organisation's, from the registry
# (`q.orgs`), which cannot list the organisations a statement would have to map; it reads
# a few reviews per organisation and year.


# The client's placements `p` (first `PlacementStarted`) started in the window of
# engagement `s` (its start … the earlier of its first end and `to`), as of $1.
_IN_WINDOW = f"""p.client_id = s.client_id
      AND p.local_date BETWEEN s.local_date AND least(coalesce(s.ended, $3), $3)
      AND {first_of("placements_started", "p", "placement_id")}"""


def coaching_employment_rate_cells(q: Query) -> CellSql:
    """Engagements active in the period (first start by `to`, no end before `from`), each
    with its own window; a client counts once per row, employed if any window is.

    Every count is of distinct clients, so an engagement is an item per placement in its
    window (or one without): one join, not two probes of the placements per engagement."""
    employed = ", ".join(f"'{kind}'" for kind in EMPLOYED)
    source = (f"{not_ended('engagements_started', 's', '>= $2')}"
              f" LEFT JOIN facts.placements_started p ON {_IN_WINDOW}")
    columns = {
        "client_id": "s.client_id",
        "employed": f"p.kind IN ({employed})",
        "placed": "p.event_id IS NOT NULL",
    }
    keys = {"organisation": "s.organisation_id", "region": region_of("s")}
    return CellSql(source, keys, columns, {
        "n": CLIENTS, "employed": Count("count(DISTINCT client_id)", where="employed"),
        "placed": Count("count(DISTINCT client_id)", where="placed"),
    })


def employment_cell(group: CellGroup) -> dict[str, Any]:
    clients = group.count("n")
    return {"value": group.share(group.count("employed"), clients),
            "any_placement_share": group.share(group.count("placed"), clients)}


def days_to_first_employer_contact_cells(q: Query) -> CellSql:
    """Engagements started in the period with an employer contact (any date)."""
    source = f"""facts.engagements_started s CROSS JOIN LATERAL (
            SELECT min(c.local_date) AS first FROM facts.employer_contacts c
            WHERE c.engagement_id = s.engagement_id AND c.recorded_at <= $1) c
        WHERE s.local_date BETWEEN $2 AND $3
          AND {first_of("engagements_started", "s", "engagement_id")}
          AND c.first IS NOT NULL"""
    keys = {"organisation": "s.organisation_id", "region": region_of("s"),
            "month": month_of("s.local_date")}
    columns = {"client_id": "s.client_id", "days": "c.first - s.local_date"}
    within_30 = Count("count(*)", where="days <= 30")
    return CellSql(source, keys, columns, {"n": CLIENTS, "items": ITEMS, "within_30": within_30},
                   {"days": "array_agg(days)"})


def contact_days_cell(group: CellGroup) -> dict[str, Any]:
    return {"value": stats.median(group.aggregate("days")),
            "share_within_30": group.proportion("within_30")}


_PLACEMENT_KEYS = {
    "kind": "s.kind", "wage_subsidy": "s.wage_subsidy", "region": region_of("s"),
    "month": month_of("s.local_date"),
}
# Placements whose first `PlacementStarted` is dated in the period.
_PLACEMENTS_IN = f"""facts.placements_started s
    WHERE s.local_date BETWEEN $2 AND $3
      AND {first_of("placements_started", "s", "placement_id")}"""


def placements_started_cells(q: Query) -> CellSql:
    return CellSql(_PLACEMENTS_IN, _PLACEMENT_KEYS, {"client_id": "s.client_id"},
                   {"n": CLIENTS, "items": ITEMS})


def placement_retention_90d_cells(q: Query) -> CellSql:
    """Placements started in the period at least 90 days before the as_of date ($4), with
    their first end (by date, recorded time, event id)."""
    source = f"""facts.placements_started s LEFT JOIN LATERAL (
            SELECT x.local_date, x.reason FROM facts.placements_ended x
            WHERE x.placement_id = s.placement_id AND x.recorded_at <= $1
            ORDER BY x.local_date, x.recorded_at, x.event_id LIMIT 1) e ON true
        WHERE s.local_date BETWEEN $2 AND $3
          AND {first_of("placements_started", "s", "placement_id")}
          AND $4::date - s.local_date >= 90"""
    ended_early = ("e.local_date IS NOT NULL AND e.local_date - s.local_date < 90"
                   " AND e.reason IS DISTINCT FROM 'converted_to_permanent'")
    columns = {"client_id": "s.client_id", "retained": f"NOT ({ended_early})"}
    return CellSql(source, _PLACEMENT_KEYS, columns,
                   {"n": CLIENTS, "items": ITEMS, "retained": Count("count(*)", where="retained")},
                   arguments=(q.as_of_date,))


def retention_cell(group: CellGroup) -> dict[str, Any]:
    return {"value": group.proportion("retained")}
