"""Work ability support plan indicators: coverage and time to the plan."""

from __future__ import annotations

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
from services.reporting.indicators.selections import first_of, load_cases_opened_in
from services.reporting.indicators.sources import Case

PLANNED_SERVICES = ("work_ability_assessment", "work_ability_coordination")


async def first_plans(conn: asyncpg.Connection, as_of: datetime, cases: list[Case]
                      ) -> dict[str, date]:
    """Date of each of `cases`' first `SupportPlanAgreed` (any date), as known at `as_of`."""
    rows = await conn.fetch(
        """SELECT case_id, min(local_date) AS first FROM facts.support_plans
           WHERE case_id = ANY($2::text[]) AND change = 'agreed' AND recorded_at <= $1
           GROUP BY case_id""",
        as_of, [c.case_id for c in cases],
    )
    return {r["case_id"]: r["first"] for r in rows}


async def _referral_dates(conn: asyncpg.Connection, as_of: datetime, cases: list[Case]
                          ) -> dict[str, date]:
    """The date of each (first) `ReferralMade` that `cases` name, as known at `as_of`."""
    rows = await conn.fetch(
        """SELECT DISTINCT ON (referral_id) referral_id, local_date FROM facts.referrals
           WHERE referral_id = ANY($2::text[]) AND recorded_at <= $1
           ORDER BY referral_id, local_date, recorded_at, event_id""",
        as_of, [c.referral_id for c in cases if c.referral_id is not None],
    )
    return {r["referral_id"]: r["local_date"] for r in rows}


async def _planned_cases(q: Query) -> list[Case]:
    cases = await load_cases_opened_in(q.conn, q.as_of, q.date_from, q.date_to,
                                       PLANNED_SERVICES)
    await q.load_regions(c.client for c in cases)
    return cases


def _keys(q: Query, case: Case) -> dict[str, Any]:
    return {
        "service": case.service, "organisation": case.organisation,
        "region": q.region(case.client), "month": month(case.opened),
    }


async def support_plan_coverage(q: Query) -> list[Item]:
    cases = await _planned_cases(q)
    plans = await first_plans(q.conn, q.as_of, cases)
    return [Item(_keys(q, c), c.client, c.case_id in plans) for c in cases]


def coverage(group: Group) -> dict[str, Any]:
    return {"value": group.proportion(i for i in group.items if i.data)}


async def days_to_support_plan(q: Query) -> list[Item]:
    cases = await _planned_cases(q)
    plans = await first_plans(q.conn, q.as_of, cases)
    referred = await _referral_dates(q.conn, q.as_of, cases)
    items = []
    for case in cases:
        if case.case_id not in plans:
            continue
        start = referred.get(case.referral_id or "", case.opened)
        items.append(Item(_keys(q, case), case.client, (plans[case.case_id] - start).days))
    return items


def median_p90(group: Group) -> dict[str, Any]:
    days = [i.data for i in group.items]
    return {"value": stats.median(days), "p90": stats.p90(days)}


# Aggregated in SQL (cells.py): the same selections and reducers as above, one row per cell.

_CASE_KEYS = {
    "service": "o.service", "organisation": "o.organisation_id",
    "region": region_of("o"), "month": month_of("o.local_date"),
}
# Cases of the planned services ($4) whose first `CaseOpened` is dated in the period, with
# the date of their first `SupportPlanAgreed` (any date; null: none) as of $1: the one the
# opening carries when recorded by $1 (projections/stamps.py, PLANNED), else looked up.
_PLANNED_CASES = f"""facts.cases_opened o CROSS JOIN LATERAL (
    SELECT CASE WHEN o.planned_recorded_at <= $1 THEN o.planned_on
        WHEN o.planned_on IS NOT NULL THEN (
            SELECT min(p.local_date) FROM facts.support_plans p
            WHERE p.case_id = o.case_id AND p.change = 'agreed' AND p.recorded_at <= $1)
        END AS agreed) p
    WHERE o.local_date BETWEEN $2 AND $3
      AND o.service = ANY($4::text[]) AND {first_of("cases_opened", "o", "case_id")}"""
# The date of the (first) `ReferralMade` the case names, as of $1 (null: none): likewise.
_REFERRED = """CASE WHEN o.referred_recorded_at <= $1 THEN o.referred_on
    WHEN o.referred_on IS NOT NULL THEN (
        SELECT min(r.local_date) FROM facts.referrals r
        WHERE r.referral_id = o.referral_id AND r.recorded_at <= $1) END"""


def support_plan_coverage_cells(q: Query) -> CellSql:
    return CellSql(
        _PLANNED_CASES, _CASE_KEYS,
        {"client_id": "o.client_id", "planned": "p.agreed IS NOT NULL"},
        {"n": CLIENTS, "items": ITEMS, "planned": Count("count(*)", where="planned")},
        arguments=(list(PLANNED_SERVICES),),
    )


def coverage_cell(group: CellGroup) -> dict[str, Any]:
    return {"value": group.proportion("planned")}


def days_to_support_plan_cells(q: Query) -> CellSql:
    """Planned cases with a plan: days from the referral date (open date without one)."""
    return CellSql(
        f"{_PLANNED_CASES} AND p.agreed IS NOT NULL", _CASE_KEYS,
        {"client_id": "o.client_id",
         "days": f"p.agreed - coalesce({_REFERRED}, o.local_date)"},
        {"n": CLIENTS}, {"days": "array_agg(days)"},
        arguments=(list(PLANNED_SERVICES),),
    )
