"""Operational lists for the organisation responsible: rows to act on, oldest first.

Readings: "the caller organisation's" case is the organisation holding it on `today` (after
every transfer dated on or before it); a plan belongs to the holder of its case. A plan's
review date is its latest version's `review_on` (a revision sets a new one), due when it is
before `today`. A referral waits while no decision dated on or before `today` exists.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import asyncpg

from services.reporting.indicators.sources import (
    Case,
    by_client,
    load_cases,
    load_measurements,
    load_referrals,
)
from services.reporting.projections.stamps import SCORES

Row = dict[str, Any]


def _held_by(cases: list[Case], org: str, today: date) -> list[Case]:
    return [c for c in cases if c.opened <= today and c.holder(today)[0] == org]


async def follow_ups_overdue(
    conn: asyncpg.Connection, org: str, today: date, as_of: datetime
) -> list[Row]:
    """Closed cases whose follow-up measurement (due 90 days after close) is missing."""
    scores = by_client(await load_measurements(conn, as_of, SCORES))
    rows = []
    for case in _held_by(await load_cases(conn, as_of), org, today):
        if case.closed is None or case.closed > today:
            continue
        due = case.closed + timedelta(days=90)
        followed = any(
            m.phase == "follow_up" and m.on > case.closed for m in scores.get(case.client, [])
        )
        if due <= today and not followed:
            rows.append({
                "case_id": case.case_id, "client_id": case.client, "service": case.service,
                "closed_on": case.closed.isoformat(), "due_on": due.isoformat(),
                "days_overdue": (today - due).days,
            })
    return sorted(rows, key=lambda r: (r["due_on"], r["case_id"]))


async def support_plans_due_for_review(
    conn: asyncpg.Connection, org: str, today: date, as_of: datetime
) -> list[Row]:
    """Plans whose (latest) `review_on` has passed without a revision."""
    cases = {c.case_id: c for c in _held_by(await load_cases(conn, as_of), org, today)}
    plans = await conn.fetch(
        """SELECT DISTINCT ON (plan_id) plan_id, client_id,
                  (SELECT case_id FROM facts.support_plans a WHERE a.plan_id = p.plan_id
                   AND a.change = 'agreed' AND a.recorded_at <= $1 LIMIT 1) AS case_id,
                  review_on
           FROM facts.support_plans p WHERE recorded_at <= $1 AND local_date <= $2
           ORDER BY plan_id, local_date DESC, recorded_at DESC""",
        as_of, today,
    )
    rows = [
        {
            "plan_id": p["plan_id"], "case_id": p["case_id"], "client_id": p["client_id"],
            "review_on": p["review_on"].isoformat(), "days_overdue": (today - p["review_on"]).days,
        }
        for p in plans
        if p["case_id"] in cases and p["review_on"] is not None and p["review_on"] < today
    ]
    return sorted(rows, key=lambda r: (r["review_on"], r["plan_id"]))


async def referrals_waiting(
    conn: asyncpg.Connection, org: str, today: date, as_of: datetime
) -> list[Row]:
    """Referrals to `org` not yet accepted, declined or withdrawn, with days waiting."""
    rows = [
        {
            "referral_id": r.referral_id, "client_id": r.client,
            "target_service": r.target_service, "referred_on": r.made.isoformat(),
            "days_waiting": (today - r.made).days,
        }
        for r in await load_referrals(conn, as_of)
        if r.target_organisation == org and r.made <= today
        and not any(d.on <= today for d in r.decisions)
    ]
    return sorted(rows, key=lambda r: (r["referred_on"], r["referral_id"]))


async def cases_without_baseline(
    conn: asyncpg.Connection, org: str, today: date, as_of: datetime
) -> list[Row]:
    """Open cases opened more than 30 days ago with no baseline measurement of the client."""
    scores = by_client(await load_measurements(conn, as_of, SCORES))
    rows = [
        {
            "case_id": c.case_id, "client_id": c.client, "service": c.service,
            "opened_on": c.opened.isoformat(), "days_open": (today - c.opened).days,
        }
        for c in _held_by(await load_cases(conn, as_of), org, today)
        if c.open_on(today) and (today - c.opened).days > 30
        and not any(m.phase == "baseline" for m in scores.get(c.client, []))
    ]
    return sorted(rows, key=lambda r: (r["opened_on"], r["case_id"]))
