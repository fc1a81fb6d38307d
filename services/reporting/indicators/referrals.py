"""Referral indicators: volumes, acceptance, waits, the queue and unemployment at referral."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contracts.codes import ReferralReason
from services.reporting.indicators import stats
from services.reporting.indicators.cells import (
    CLIENTS,
    ITEMS,
    CellGroup,
    CellSql,
    Count,
    month_of,
    region_of,
    values_of,
)
from services.reporting.indicators.query import Query, month
from services.reporting.indicators.rows import Group, Item
from services.reporting.indicators.selections import (
    first_of,
    load_first_decisions_in,
    load_referrals_made_in,
    load_referrals_waiting_on,
    not_ended,
    with_opening,
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


# Aggregated in SQL (cells.py): the same selections and reducers as above, one row per cell.

_REFERRAL_KEYS = {
    "referring_org_kind": "r.referring_org_kind", "target_service": "r.target_service",
    "triage": "r.triage", "target_organisation": "r.target_organisation_id",
    "region": region_of("r"), "month": month_of("r.local_date"),
}
# A referral's first `ReferralMade` (INDICATORS.md, Ties) dated in the period.
_MADE_IN = (f"facts.referrals r WHERE r.local_date BETWEEN $2 AND $3"
            f" AND {first_of('referrals', 'r', 'referral_id')}")


# The referral reasons in their code list's order (contracts/codes.py).
_REASON_CODES = [reason.value for reason in ReferralReason]


def referrals_made_cells(q: Query) -> CellSql:
    source, keys = _MADE_IN, dict(_REFERRAL_KEYS)
    arguments: tuple[Any, ...] = ()
    key_text: dict[str, str] = {}
    if "reason" in q.group_by:
        # Counted once under each of its (distinct) reasons: grouped by the reason's position
        # in the code list ($4), written back as the code. A year of a country's referrals is
        # twice as many reasons, and integers deduplicate and sort faster than the codes
        # (at ten million events about a fifth of the statement). The facts hold only the
        # contract's codes (ReferralMade.reasons is a list of ReferralReason).
        source = (f"facts.referrals r CROSS JOIN LATERAL (SELECT DISTINCT array_position("
                  f"$4::text[], unnest(r.reasons)) AS reason) x"
                  f" WHERE {_MADE_IN.partition(' WHERE ')[2]}")
        keys["reason"] = "x.reason"
        arguments, key_text = (_REASON_CODES,), {"reason": "($4::text[])[k_reason]"}
    return CellSql(source, keys, {"client_id": "r.client_id"}, {"n": CLIENTS, "items": ITEMS},
                   arguments=arguments, key_text=key_text)


def acceptance_cells(q: Query) -> CellSql:
    """Referrals whose first decision (accepted or declined) is dated in the period; month
    is the decision's, the other keys the first `ReferralMade`'s."""
    source = with_opening("referral_decisions", ("referral_id", "local_date", "decision"),
                          "e.local_date BETWEEN $2 AND $3"
                          " AND e.decision IN ('accepted', 'declined')", "d")
    keys = {"referring_org_kind": "d.referring_org_kind", "target_service": "d.target_service",
            "region": region_of("d"), "month": month_of("d.local_date")}
    columns = {"client_id": "d.client_id", "accepted": "d.decision = 'accepted'"}
    return CellSql(source, keys, columns,
                   {"n": CLIENTS, "items": ITEMS, "accepted": Count("count(*)", where="accepted")})


def acceptance_cell(group: CellGroup) -> dict[str, Any]:
    return {"value": group.proportion("accepted")}


def days_to_assessment_cells(q: Query) -> CellSql:
    """Referrals made in the period, with the days to the client's first assessment started
    on or after the referral date (selections' `_FIRST_ASSESSMENT`); referrals without one
    left out. The first is the one the referral carries when that was recorded by $1
    (projections/stamps.py, ASSESSED), and only otherwise (rarely) looked up."""
    source = f"""facts.referrals r CROSS JOIN LATERAL (
            SELECT CASE WHEN r.assessed_recorded_at <= $1 THEN r.assessed_on ELSE (
                SELECT min(s.local_date) FROM facts.assessments_started s
                WHERE s.client_id = r.client_id AND s.recorded_at <= $1
                  AND s.local_date >= r.local_date) END AS first_assessment) a
        WHERE {_MADE_IN.partition(' WHERE ')[2]}
          AND r.assessed_on IS NOT NULL AND a.first_assessment IS NOT NULL"""
    columns = {"client_id": "r.client_id", "days": "a.first_assessment - r.local_date"}
    return CellSql(source, dict(_REFERRAL_KEYS), columns, {"n": CLIENTS},
                   {"days": values_of("days")})


def unemployment_cells(q: Query) -> CellSql:
    """Referrals made in the period with the months of unemployment given."""
    source = f"{_MADE_IN} AND r.unemployment_months IS NOT NULL"
    columns = {"client_id": "r.client_id", "months": "r.unemployment_months"}
    counts = {"n": CLIENTS, "items": ITEMS, "under_12": Count("count(*)", where="months < 12")}
    return CellSql(source, dict(_REFERRAL_KEYS), columns, counts,
                   {"months": values_of("months")})


def unemployment_cell(group: CellGroup) -> dict[str, Any]:
    months = group.aggregate("months")
    return {"value": stats.median(months), "p90": stats.p90(months),
            "share_under_12": group.proportion("under_12")}


def queue_cells(q: Query) -> CellSql:
    """Referrals first made on or before `to` ($3) without a decision dated on or before it,
    with their wait (`to` − referral date)."""
    source = not_ended("referrals", "r", "> $3")
    columns = {"client_id": "r.client_id", "wait": "$3::date - r.local_date"}
    # `from` ($2) is not read: the statement still declares its type.
    return CellSql(source, dict(_REFERRAL_KEYS), columns, {"n": CLIENTS, "items": ITEMS},
                   {"waits": values_of("wait")})


def queue_cell(group: CellGroup) -> dict[str, Any]:
    waits = group.aggregate("waits")
    return {"value": group.count(), "median_wait_days": stats.median(waits),
            "max_wait_days": stats.maximum(waits)}
