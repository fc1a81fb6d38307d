"""Case indicators: open clients, durations, exits, caseloads, transfers and next services."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from services.reporting.indicators import stats
from services.reporting.indicators.query import Query, month
from services.reporting.indicators.rows import Group, Item
from services.reporting.indicators.sources import Case, by_client, load_cases, load_transfers


def _keys(q: Query, case: Case, organisation: str | None) -> dict[str, Any]:
    return {"service": case.service, "organisation": organisation, "region": q.region(case.client)}


def _closed_keys(q: Query, case: Case) -> dict[str, Any]:
    assert case.closed is not None
    return _keys(q, case, case.organisation) | {
        "exit_destination": case.exit_destination, "month": month(case.closed),
    }


async def closed_in_period(q: Query) -> list[Case]:
    return [c for c in await load_cases(q.conn, q.as_of) if q.in_period(c.closed)]


def distinct_clients(group: Group) -> dict[str, Any]:
    return {"value": len({i.client for i in group.items if i.client is not None})}


async def active_clients(q: Query) -> list[Item]:
    items = []
    for case in await load_cases(q.conn, q.as_of):
        if case.open_on(q.date_to):
            holder, _ = case.holder(q.date_to)
            items.append(Item(_keys(q, case, holder), case.client, case))
    return items


async def case_duration_days(q: Query) -> list[Item]:
    return [
        Item(_closed_keys(q, c), c.client, (c.closed - c.opened).days)  # type: ignore[operator]
        for c in await closed_in_period(q)
    ]


def durations(group: Group) -> dict[str, Any]:
    days = [i.data for i in group.items]
    return {"value": stats.median(days), "mean": stats.mean(days), "p90": stats.p90(days)}


async def exit_destinations(q: Query) -> list[Item]:
    return [Item(_closed_keys(q, c), c.client, c) for c in await closed_in_period(q)]


def _count_and_share(group: Group, own_key: str) -> dict[str, Any]:
    others = [k for k in group.values if k != own_key]
    total = group.count_matching(others)
    return {"value": len(group.items), "share": stats.round3(stats.ratio(len(group.items), total))}


def exits(group: Group) -> dict[str, Any]:
    return _count_and_share(group, "exit_destination")


async def clients_served(q: Query) -> list[Item]:
    items = []
    for case in await load_cases(q.conn, q.as_of):
        if case.opened <= q.date_to and (case.closed is None or case.closed >= q.date_from):
            items.append(Item(_keys(q, case, case.organisation), case.client, case))
    return items


def served(group: Group) -> dict[str, Any]:
    cases: list[Case] = [i.data for i in group.items]
    q: Query = group.context
    return distinct_clients(group) | {
        "cases_opened": sum(1 for c in cases if q.in_period(c.opened)),
        "cases_closed": sum(1 for c in cases if q.in_period(c.closed)),
    }


async def caseload(q: Query) -> list[Item]:
    items = []
    for case in await load_cases(q.conn, q.as_of):
        if case.open_on(q.date_to):
            holder, worker = case.holder(q.date_to)
            if worker is not None:
                items.append(Item(_keys(q, case, holder), case.client, worker))
    return items


def loads(group: Group) -> dict[str, Any]:
    per_worker = list(Counter(i.data for i in group.items).values())
    return {
        "value": stats.median(per_worker), "max": stats.maximum(per_worker),
        "workers": len(per_worker),
    }


async def responsibility_transfers(q: Query) -> list[Item]:
    items = []
    for transfers in (await load_transfers(q.conn, q.as_of)).values():
        for t in transfers:
            if q.in_period(t.on):
                keys = {
                    "from_org_kind": q.orgs.kind_of(t.from_org),
                    "to_org_kind": q.orgs.kind_of(t.to_org),
                    "region": q.region(t.client), "month": month(t.on),
                }
                items.append(Item(keys, t.client, t))
    return items


def count(group: Group) -> dict[str, Any]:
    return {"value": len(group.items)}


async def pathway_transitions(q: Query) -> list[Item]:
    cases = await load_cases(q.conn, q.as_of)
    of_client = by_client(cases)
    items = []
    for case in cases:
        if not q.in_period(case.closed):
            continue
        assert case.closed is not None
        horizon = case.closed + timedelta(days=180)
        following = sorted(
            (c for c in of_client[case.client]
             if c.case_id != case.case_id and case.closed <= c.opened <= horizon),
            key=lambda c: c.opened_stamp,
        )
        keys = _closed_keys(q, case) | {
            "from_service": case.service,
            "to_service": following[0].service if following else "none",
        }
        items.append(Item(keys, case.client, case))
    return items


def transitions(group: Group) -> dict[str, Any]:
    return _count_and_share(group, "to_service")

