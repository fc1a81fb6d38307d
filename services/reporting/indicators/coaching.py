"""Coaching indicators: employment, employer contacts, placements, retention, IPS fidelity."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from services.reporting.indicators import stats
from services.reporting.indicators.query import Query, month
from services.reporting.indicators.rows import Group, Item

EMPLOYED = ("open_market_job", "pay_subsidised_job")


async def _engagements(q: Query) -> list[dict[str, Any]]:
    """Engagements at `as_of`, with their first end date and first employer contact date."""
    rows = await q.conn.fetch(
        """SELECT DISTINCT ON (s.engagement_id) s.engagement_id, s.client_id,
                  s.organisation_id, s.local_date AS started,
                  (SELECT e.local_date FROM facts.engagements_ended e
                   WHERE e.engagement_id = s.engagement_id AND e.recorded_at <= $1
                   ORDER BY e.local_date, e.recorded_at LIMIT 1) AS ended,
                  (SELECT min(c.local_date) FROM facts.employer_contacts c
                   WHERE c.engagement_id = s.engagement_id AND c.recorded_at <= $1)
                      AS first_contact
           FROM facts.engagements_started s WHERE s.recorded_at <= $1
           ORDER BY s.engagement_id, s.local_date, s.recorded_at""",
        q.as_of,
    )
    return [dict(r) for r in rows]


async def _placements(q: Query) -> list[dict[str, Any]]:
    rows = await q.conn.fetch(
        """SELECT DISTINCT ON (s.placement_id) s.placement_id, s.client_id, s.kind,
                  s.wage_subsidy, s.local_date AS started,
                  e.local_date AS ended, e.reason AS end_reason
           FROM facts.placements_started s
           LEFT JOIN LATERAL (
               SELECT local_date, reason FROM facts.placements_ended x
               WHERE x.placement_id = s.placement_id AND x.recorded_at <= $1
               ORDER BY x.local_date, x.recorded_at LIMIT 1) e ON true
           WHERE s.recorded_at <= $1
           ORDER BY s.placement_id, s.local_date, s.recorded_at""",
        q.as_of,
    )
    return [dict(r) for r in rows]


async def coaching_employment_rate(q: Query) -> list[Item]:
    placements: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in await _placements(q):
        placements[p["client_id"]].append(p)
    items = []
    for e in await _engagements(q):
        if e["started"] > q.date_to or (e["ended"] is not None and e["ended"] < q.date_from):
            continue
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
    return {
        "value": stats.share(employed.values()),
        "any_placement_share": stats.share(placed.values()),
    }


async def days_to_first_employer_contact(q: Query) -> list[Item]:
    return [
        Item(
            {"organisation": e["organisation_id"], "region": q.region(e["client_id"]),
             "month": month(e["started"])},
            e["client_id"], (e["first_contact"] - e["started"]).days,
        )
        for e in await _engagements(q)
        if q.in_period(e["started"]) and e["first_contact"] is not None
    ]


def contact_days(group: Group) -> dict[str, Any]:
    days = [i.data for i in group.items]
    return {"value": stats.median(days), "share_within_30": stats.share(d <= 30 for d in days)}


def _placement_keys(q: Query, p: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": p["kind"], "wage_subsidy": p["wage_subsidy"], "region": q.region(p["client_id"]),
        "month": month(p["started"]),
    }


async def placements_started(q: Query) -> list[Item]:
    return [
        Item(_placement_keys(q, p), p["client_id"])
        for p in await _placements(q) if q.in_period(p["started"])
    ]


def count(group: Group) -> dict[str, Any]:
    return {"value": len(group.items)}


async def placement_retention_90d(q: Query) -> list[Item]:
    items = []
    for p in await _placements(q):
        if not q.in_period(p["started"]) or (q.as_of_date - p["started"]).days < 90:
            continue
        ended_early = (
            p["ended"] is not None and (p["ended"] - p["started"]).days < 90
            and p["end_reason"] != "converted_to_permanent"
        )
        items.append(Item(_placement_keys(q, p), p["client_id"], not ended_early))
    return items


def retention(group: Group) -> dict[str, Any]:
    return {"value": stats.share(i.data for i in group.items)}


async def fidelity_score(q: Query) -> list[Item]:
    rows = await q.conn.fetch(
        """SELECT organisation_id, total, local_date, recorded_at FROM facts.fidelity_reviews
           WHERE recorded_at <= $1 AND local_date BETWEEN $2 AND $3""",
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
