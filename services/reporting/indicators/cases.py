"""Case indicators: open clients, durations, exits, caseloads, transfers and next services."""

from __future__ import annotations

from collections import Counter
from typing import Any

from services.reporting.indicators import stats
from services.reporting.indicators.query import Query, month
from services.reporting.indicators.rows import Group, Item
from services.reporting.indicators.selections import (
    load_cases_active_in,
    load_cases_closed_in,
    load_cases_open_on,
    load_next_services,
    load_transfers_in,
)
from services.reporting.indicators.sources import Case


def _keys(q: Query, case: Case, organisation: str | None) -> dict[str, Any]:
    return {"service": case.service, "organisation": organisation, "region": q.region(case.client)}


def _closed_keys(q: Query, case: Case) -> dict[str, Any]:
    assert case.closed is not None
    return _keys(q, case, case.organisation) | {
        "exit_destination": case.exit_destination, "month": month(case.closed),
    }


async def closed_in_period(q: Query) -> list[Case]:
    """Cases whose first close is dated in the period, their clients' regions loaded."""
    cases = await load_cases_closed_in(q.conn, q.as_of, q.date_from, q.date_to)
    await q.load_regions(c.client for c in cases)
    return cases


async def _open_on_to(q: Query) -> list[Case]:
    cases = await load_cases_open_on(q.conn, q.as_of, q.date_to)
    await q.load_regions(c.client for c in cases)
    return cases


def distinct_clients(group: Group) -> dict[str, Any]:
    return {"value": group.clients()}


async def active_clients(q: Query) -> list[Item]:
    items = []
    for case in await _open_on_to(q):
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
    # The parent: every case of the row's other groups (suppressed rows' cases included).
    parent = group.matching([k for k in group.values if k != own_key])
    return {"value": group.count(), "share": group.proportion(group.items, parent)}


def exits(group: Group) -> dict[str, Any]:
    return _count_and_share(group, "exit_destination")


async def clients_served(q: Query) -> list[Item]:
    items = []
    cases = await load_cases_active_in(q.conn, q.as_of, q.date_from, q.date_to)
    await q.load_regions(c.client for c in cases)
    for case in cases:
        if case.opened <= q.date_to and (case.closed is None or case.closed >= q.date_from):
            items.append(Item(_keys(q, case, case.organisation), case.client, case))
    return items


def served(group: Group) -> dict[str, Any]:
    q: Query = group.context
    # Each count extra with the clients of its own cases as units.
    return distinct_clients(group) | {
        "cases_opened": group.count(i for i in group.items if q.in_period(i.data.opened)),
        "cases_closed": group.count(i for i in group.items if q.in_period(i.data.closed)),
    }


async def caseload(q: Query) -> list[Item]:
    items = []
    for case in await _open_on_to(q):
        if case.open_on(q.date_to):
            holder, worker = case.holder(q.date_to)
            if worker is not None:
                items.append(Item(_keys(q, case, holder), case.client, worker))
    return items


def loads(group: Group) -> dict[str, Any]:
    per_worker = list(Counter(i.data for i in group.items).values())
    # `workers` counts professionals, not clients: published exact (INDICATORS.md).
    return {
        "value": stats.median(per_worker), "max": stats.maximum(per_worker),
        "workers": len(per_worker),
    }


async def responsibility_transfers(q: Query) -> list[Item]:
    items = []
    transfers = await load_transfers_in(q.conn, q.as_of, q.date_from, q.date_to)
    await q.load_regions(t.client for t in transfers)
    for t in transfers:
        keys = {
            "from_org_kind": q.orgs.kind_of(t.from_org),
            "to_org_kind": q.orgs.kind_of(t.to_org),
            "region": q.region(t.client), "month": month(t.on),
        }
        items.append(Item(keys, t.client, t))
    return items


def count(group: Group) -> dict[str, Any]:
    return {"value": group.count()}


async def pathway_transitions(q: Query) -> list[Item]:
    cases = await closed_in_period(q)
    following = await load_next_services(q.conn, q.as_of, cases)
    items = []
    for case in cases:
        keys = _closed_keys(q, case) | {
            "from_service": case.service,
            "to_service": following.get(case.case_id, "none"),
        }
        items.append(Item(keys, case.client, case))
    return items


def transitions(group: Group) -> dict[str, Any]:
    return _count_and_share(group, "to_service")

