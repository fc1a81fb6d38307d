"""Work ability support plan indicators: coverage and time to the plan."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

import asyncpg

from services.reporting.indicators import stats
from services.reporting.indicators.query import Query, month
from services.reporting.indicators.rows import Group, Item
from services.reporting.indicators.sources import Case, load_cases, load_referrals

PLANNED_SERVICES = ("work_ability_assessment", "work_ability_coordination")


async def first_plans(conn: asyncpg.Connection, as_of: datetime) -> dict[str, date]:
    """Date of each case's first `SupportPlanAgreed` (any date), as known at `as_of`."""
    rows = await conn.fetch(
        """SELECT case_id, min(local_date) AS first FROM facts.support_plans
           WHERE recorded_at <= $1 AND change = 'agreed' AND case_id IS NOT NULL
           GROUP BY case_id""",
        as_of,
    )
    return {r["case_id"]: r["first"] for r in rows}


async def _planned_cases(q: Query) -> list[Case]:
    return [
        c for c in await load_cases(q.conn, q.as_of)
        if c.service in PLANNED_SERVICES and q.in_period(c.opened)
    ]


def _keys(q: Query, case: Case) -> dict[str, Any]:
    return {
        "service": case.service, "organisation": case.organisation,
        "region": q.region(case.client), "month": month(case.opened),
    }


async def support_plan_coverage(q: Query) -> list[Item]:
    plans = await first_plans(q.conn, q.as_of)
    return [Item(_keys(q, c), c.client, c.case_id in plans) for c in await _planned_cases(q)]


def coverage(group: Group) -> dict[str, Any]:
    return {"value": stats.share(i.data for i in group.items)}


async def days_to_support_plan(q: Query) -> list[Item]:
    plans = await first_plans(q.conn, q.as_of)
    referred: dict[str, date] = defaultdict()
    for r in await load_referrals(q.conn, q.as_of):
        referred[r.referral_id] = r.made
    items = []
    for case in await _planned_cases(q):
        if case.case_id not in plans:
            continue
        start = referred.get(case.referral_id or "", case.opened)
        items.append(Item(_keys(q, case), case.client, (plans[case.case_id] - start).days))
    return items


def median_p90(group: Group) -> dict[str, Any]:
    days = [i.data for i in group.items]
    return {"value": stats.median(days), "p90": stats.p90(days)}
