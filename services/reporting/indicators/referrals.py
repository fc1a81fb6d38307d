"""Referral indicators: volumes, acceptance, waits, the queue and unemployment at referral."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.reporting.indicators import stats
from services.reporting.indicators.query import Query, month
from services.reporting.indicators.rows import Group, Item
from services.reporting.indicators.selections import (
    load_first_decisions_in,
    load_referrals_made_in,
    load_referrals_waiting_on,
)
from services.reporting.indicators.sources import Referral


def _keys(q: Query) -> Callable[[Referral], dict[str, Any]]:
    return q.keyer({
        "referring_org_kind": lambda r: r.referring_org_kind,
        "target_service": lambda r: r.target_service, "triage": lambda r: r.triage,
        "target_organisation": lambda r: r.target_organisation,
        "region": lambda r: q.region(r.client), "month": lambda r: month(r.made),
    })


def count(group: Group) -> dict[str, Any]:
    return {"value": group.count()}


async def referrals_made(q: Query) -> list[Item]:
    items = []
    referrals = await load_referrals_made_in(q.conn, q.as_of, q.date_from, q.date_to)
    await q.load_regions(r.client for r in referrals)
    keys = _keys(q)
    for r in referrals:
        if "reason" in q.group_by:
            # Counted once under each of its (distinct) reasons.
            for reason in dict.fromkeys(r.reasons):
                items.append(Item(keys(r) | {"reason": reason}, r.client, r))
        else:
            items.append(Item(keys(r), r.client, r))
    return items


async def referral_acceptance_rate(q: Query) -> list[Item]:
    items = []
    referrals = await load_first_decisions_in(q.conn, q.as_of, q.date_from, q.date_to)
    await q.load_regions(r.client for r in referrals)
    keys = _keys(q)
    for r in referrals:
        decision = r.decision
        if decision and decision.kind in ("accepted", "declined") and q.in_period(decision.on):
            items.append(Item(keys(r) | {"month": month(decision.on)}, r.client,
                              decision.kind == "accepted"))
    return items


def acceptance(group: Group) -> dict[str, Any]:
    return {"value": group.proportion(i for i in group.items if i.data)}


async def days_to_assessment(q: Query) -> list[Item]:
    referrals = await load_referrals_made_in(q.conn, q.as_of, q.date_from, q.date_to,
                                             first_assessment=True)
    await q.load_regions(r.client for r in referrals)
    keys = _keys(q)
    return [
        Item(keys(r), r.client, (r.first_assessment - r.made).days)
        for r in referrals if r.first_assessment is not None
    ]


def median_p90(group: Group) -> dict[str, Any]:
    values = [i.data for i in group.items]
    return {"value": stats.median(values), "p90": stats.p90(values)}


async def unemployment_before_referral(q: Query) -> list[Item]:
    referrals = await load_referrals_made_in(q.conn, q.as_of, q.date_from, q.date_to)
    await q.load_regions(r.client for r in referrals)
    keys = _keys(q)
    return [
        Item(keys(r), r.client, r.unemployment_months)
        for r in referrals if r.unemployment_months is not None
    ]


def unemployment(group: Group) -> dict[str, Any]:
    values = [i.data for i in group.items]
    return {
        "value": stats.median(values), "p90": stats.p90(values),
        "share_under_12": group.proportion(i for i in group.items if i.data < 12),
    }


async def referral_queue(q: Query) -> list[Item]:
    referrals = await load_referrals_waiting_on(q.conn, q.as_of, q.date_to)
    await q.load_regions(r.client for r in referrals)
    keys = _keys(q)
    return [Item(keys(r), r.client, (q.date_to - r.made).days) for r in referrals]


def queue(group: Group) -> dict[str, Any]:
    waits = [i.data for i in group.items]
    return {
        "value": group.count(), "median_wait_days": stats.median(waits),
        "max_wait_days": stats.maximum(waits),
    }
