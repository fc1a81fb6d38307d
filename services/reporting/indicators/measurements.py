"""Measurement indicators: changes from baseline, coverage of baseline/end/follow-up, scoring."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from services.reporting.indicators import stats
from services.reporting.indicators.cases import closed_in_period
from services.reporting.indicators.query import Query, month
from services.reporting.indicators.rows import Group, Item
from services.reporting.indicators.sources import Case, Measurement, by_client, load_measurements

LATER_PHASES = ("end", "follow_up")
IN_WORK = frozenset({"open_market_job", "pay_subsidised_job"})
IN_WORK_OR_EDUCATION = IN_WORK | {"education"}
SCORES = ("work_ability_score", "self_assessment")

Value = Callable[[Measurement], Any]


def _latest(candidates: list[Measurement]) -> Measurement | None:
    return max(candidates, key=lambda m: m.stamp, default=None)


async def _changes(q: Query, measure: str, value: Value) -> list[Item]:
    """Per client and later phase: (baseline value, later value) as INDICATORS.md pairs them."""
    measured = [
        m for m in await load_measurements(q.conn, q.as_of, (measure,)) if value(m) is not None
    ]
    items = []
    for client, own in by_client(measured).items():
        for phase in LATER_PHASES:
            later = _latest([m for m in own if m.phase == phase and q.in_period(m.on)])
            if later is None:
                continue
            baseline = _latest([m for m in own if m.phase == "baseline" and m.on <= later.on])
            if baseline is None:
                continue
            keys = {"phase": phase, "region": q.region(client), "month": month(later.on)}
            items.append(Item(keys, client, (value(baseline), value(later))))
    return items


async def work_ability_change(q: Query) -> list[Item]:
    return await _changes(q, "work_ability_score", lambda m: m.score)


async def self_assessment_change(q: Query) -> list[Item]:
    # The self-assessment's `overall`; a null overall is left out here.
    return await _changes(q, "self_assessment", lambda m: m.score)


async def labour_market_outcome(q: Query) -> list[Item]:
    return await _changes(q, "labour_market_status", lambda m: m.status)


def score_change(group: Group) -> dict[str, Any]:
    changes = [later - base for base, later in (i.data for i in group.items)]
    return {
        "value": stats.mean(changes),
        "improved_share": stats.share(c >= 1 for c in changes),
        "worsened_share": stats.share(c <= -1 for c in changes),
    }


def overall_change(group: Group) -> dict[str, Any]:
    changes = [later - base for base, later in (i.data for i in group.items)]
    return {
        "value": stats.mean(changes),
        "improved_share": stats.share(c > 0 for c in changes),
        "worsened_share": stats.share(c < 0 for c in changes),
    }


def labour_market(group: Group) -> dict[str, Any]:
    pairs = [i.data for i in group.items]
    return {
        "value": stats.share(later in IN_WORK_OR_EDUCATION for _, later in pairs),
        "baseline_share": stats.share(base in IN_WORK_OR_EDUCATION for base, _ in pairs),
        "work_share": stats.share(later in IN_WORK for _, later in pairs),
    }


async def clients_scored(q: Query) -> list[Item]:
    return [
        Item({"phase": m.phase, "region": q.region(m.client), "month": month(m.on)}, m.client, m)
        for m in await load_measurements(q.conn, q.as_of, ("work_ability_score",))
        if q.in_period(m.on)
    ]


def scored(group: Group) -> dict[str, Any]:
    latest: dict[str | None, Measurement] = {}
    for item in group.items:
        current = latest.get(item.client)
        if current is None or item.data.stamp > current.stamp:
            latest[item.client] = item.data
    return {
        "value": len(latest),
        "mean_score": stats.mean([m.score for m in latest.values() if m.score is not None]),
    }


def _case_keys(q: Query, case: Case) -> dict[str, Any]:
    assert case.closed is not None
    return {
        "service": case.service, "organisation": case.organisation,
        "region": q.region(case.client), "month": month(case.closed),
    }


async def follow_up_coverage(q: Query) -> list[Item]:
    scores = by_client(await load_measurements(q.conn, q.as_of, SCORES))
    items = []
    for case in await closed_in_period(q):
        assert case.closed is not None
        if (q.as_of_date - case.closed).days < 90:
            continue
        followed = any(
            m.phase == "follow_up" and m.on > case.closed for m in scores.get(case.client, [])
        )
        items.append(Item(_case_keys(q, case), case.client, followed))
    return items


def coverage(group: Group) -> dict[str, Any]:
    return {"value": stats.share(i.data for i in group.items)}


async def measurement_coverage(q: Query) -> list[Item]:
    scores = by_client(await load_measurements(q.conn, q.as_of, SCORES))
    items = []
    for case in await closed_in_period(q):
        assert case.closed is not None
        own = scores.get(case.client, [])
        baseline = any(
            m.phase == "baseline"
            and case.opened - timedelta(days=30) <= m.on <= case.closed
            for m in own
        )
        end = any(
            m.phase == "end" and case.opened <= m.on <= case.closed + timedelta(days=30)
            for m in own
        )
        items.append(Item(_case_keys(q, case), case.client, (baseline, end)))
    return items


def baseline_and_end(group: Group) -> dict[str, Any]:
    pairs = [i.data for i in group.items]
    return {
        "value": stats.share(b and e for b, e in pairs),
        "baseline_share": stats.share(b for b, _ in pairs),
        "end_share": stats.share(e for _, e in pairs),
    }
