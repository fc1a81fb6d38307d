"""Referral indicators: volumes, acceptance, waits, the queue and unemployment at referral."""

from __future__ import annotations

from typing import Any

from services.reporting.indicators import stats
from services.reporting.indicators.query import Query, month
from services.reporting.indicators.rows import Group, Item
from services.reporting.indicators.sources import (
    Referral,
    by_client,
    load_assessments,
    load_referrals,
)


def _keys(q: Query, r: Referral) -> dict[str, Any]:
    return {
        "referring_org_kind": r.referring_org_kind, "target_service": r.target_service,
        "triage": r.triage, "target_organisation": r.target_organisation,
        "region": q.region(r.client), "month": month(r.made),
    }


def count(group: Group) -> dict[str, Any]:
    return {"value": len(group.items)}


async def referrals_made(q: Query) -> list[Item]:
    items = []
    for r in await load_referrals(q.conn, q.as_of):
        if not q.in_period(r.made):
            continue
        if "reason" in q.group_by:
            # Counted once under each of its (distinct) reasons.
            for reason in dict.fromkeys(r.reasons):
                items.append(Item(_keys(q, r) | {"reason": reason}, r.client, r))
        else:
            items.append(Item(_keys(q, r), r.client, r))
    return items


async def referral_acceptance_rate(q: Query) -> list[Item]:
    items = []
    for r in await load_referrals(q.conn, q.as_of):
        decision = r.decision
        if decision and decision.kind in ("accepted", "declined") and q.in_period(decision.on):
            keys = _keys(q, r) | {"month": month(decision.on)}
            items.append(Item(keys, r.client, decision.kind == "accepted"))
    return items


def acceptance(group: Group) -> dict[str, Any]:
    return {"value": stats.share(i.data for i in group.items)}


async def days_to_assessment(q: Query) -> list[Item]:
    assessments = by_client(await load_assessments(q.conn, q.as_of))
    items = []
    for r in await load_referrals(q.conn, q.as_of):
        if not q.in_period(r.made):
            continue
        first = next((a for a in assessments.get(r.client, []) if a.started >= r.made), None)
        if first is not None:
            items.append(Item(_keys(q, r), r.client, (first.started - r.made).days))
    return items


def median_p90(group: Group) -> dict[str, Any]:
    values = [i.data for i in group.items]
    return {"value": stats.median(values), "p90": stats.p90(values)}


async def unemployment_before_referral(q: Query) -> list[Item]:
    return [
        Item(_keys(q, r), r.client, r.unemployment_months)
        for r in await load_referrals(q.conn, q.as_of)
        if q.in_period(r.made) and r.unemployment_months is not None
    ]


def unemployment(group: Group) -> dict[str, Any]:
    values = [i.data for i in group.items]
    return {
        "value": stats.median(values), "p90": stats.p90(values),
        "share_under_12": stats.share(v < 12 for v in values),
    }


async def referral_queue(q: Query) -> list[Item]:
    items = []
    for r in await load_referrals(q.conn, q.as_of):
        if r.made > q.date_to or any(d.on <= q.date_to for d in r.decisions):
            continue
        items.append(Item(_keys(q, r), r.client, (q.date_to - r.made).days))
    return items


def queue(group: Group) -> dict[str, Any]:
    waits = [i.data for i in group.items]
    return {
        "value": len(waits), "median_wait_days": stats.median(waits),
        "max_wait_days": stats.maximum(waits),
    }
