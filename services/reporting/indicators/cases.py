"""Case indicators: open clients, durations, exits, caseloads, transfers and next services."""

from __future__ import annotations

from collections import Counter
from typing import Any

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
from services.reporting.indicators.selections import (
    closed_cases,
    first_of,
    load_cases_active_in,
    load_cases_closed_in,
    load_cases_open_on,
    load_next_services,
    load_transfers_in,
    not_ended,
)
from services.reporting.indicators.sources import Case
from services.reporting.projections.stamps import NEXT


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


# Aggregated in SQL (cells.py): the same selections and reducers as above, one row per cell.
# A case's first `CaseOpened` (alias o) and first `CaseClosed` (alias c) as of $1 are joined
# as the rows `first_of` marks (one per case), the same rows as the loaders' ORDER BY … LIMIT 1
# and DISTINCT ON, without a probe per case.
# responsibility_transfers stays on its items: its keys are organisation kinds from the
# registry (`q.orgs`), which cannot list the organisations a statement would have to map.


# Cases open on `to`: first opened on or before it, no close dated on or before it, i.e. a
# first close, if any, dated after it (load_cases_open_on; selections.not_ended). Alias h:
# the case's last transfer dated on or before `to`, whose organisation and worker then hold
# it (`Case.holder`).
_OPEN_ON_TO = f"""{not_ended("cases_opened", "o", "> $3")}
    LEFT JOIN holders h ON h.case_id = o.case_id WHERE true"""
# Each case's last transfer dated on or before `to` (by date, recorded time, event id). The
# cases in descending order too: the order of the transfers' covering index read backward
# (migration 023), so no sort.
_HOLDERS = """SELECT DISTINCT ON (t.case_id) t.case_id, t.to_organisation_id AS org,
        t.to_worker_id AS worker FROM facts.case_transfers t
    WHERE t.recorded_at <= $1 AND t.local_date <= $3
    ORDER BY t.case_id DESC, t.local_date DESC, t.recorded_at DESC, t.event_id DESC"""
# `from` ($2) is not read on `to`: the statement still declares its type.
_OPEN_CTES = {"holders": _HOLDERS}
# The holder on `to`: the opening's when no transfer (a transfer to null stays null).
_HOLDER_ORG = "CASE WHEN h.case_id IS NULL THEN o.organisation_id ELSE h.org END"
_HOLDER_WORKER = "CASE WHEN h.case_id IS NULL THEN o.responsible_worker_id ELSE h.worker END"
_OPEN_KEYS = {"service": "o.service", "organisation": _HOLDER_ORG,
              "region": region_of("o")}

# Cases whose first close is dated in the period, with their first opening
# (load_cases_closed_in).
_CLOSED = closed_cases("e.local_date BETWEEN $2 AND $3")
_CLOSED_KEYS = {
    "service": "c.service", "organisation": "c.organisation_id",
    "region": region_of("c"), "exit_destination": "c.exit_destination",
    "month": month_of("c.local_date"),
}


def active_clients_cells(q: Query) -> CellSql:
    return CellSql(_OPEN_ON_TO, _OPEN_KEYS, {"client_id": "o.client_id"}, {"n": CLIENTS},
                   ctes=_OPEN_CTES)


def distinct_clients_cell(group: CellGroup) -> dict[str, Any]:
    return {"value": group.n()}


def case_duration_days_cells(q: Query) -> CellSql:
    return CellSql(_CLOSED, _CLOSED_KEYS,
                   {"client_id": "c.client_id", "days": "c.local_date - c.opened_on"},
                   {"n": CLIENTS, "items": ITEMS}, {"days": "array_agg(days)"})


def durations_cell(group: CellGroup) -> dict[str, Any]:
    # Sorted once: the median and the p90 then find them in order (a linear pass each).
    days = sorted(group.aggregate("days") or [])
    return {"value": stats.median(days), "mean": stats.mean(days), "p90": stats.p90(days)}


def exit_destinations_cells(q: Query) -> CellSql:
    return CellSql(_CLOSED, _CLOSED_KEYS, {"client_id": "c.client_id"},
                   {"n": CLIENTS, "items": ITEMS}, parent_of="exit_destination")


def _count_and_share_cell(group: CellGroup, own_key: str) -> dict[str, Any]:
    # The parent: every case of the row's other groups (suppressed rows' cases included).
    parent = group.parent([k for k in group.values if k != own_key], "items")
    return {"value": group.count(), "share": group.share(group.count(), parent)}


def exits_cell(group: CellGroup) -> dict[str, Any]:
    return _count_and_share_cell(group, "exit_destination")


def clients_served_cells(q: Query) -> CellSql:
    """Cases first opened by `to` whose first close, if any, is not dated before `from`
    (load_cases_active_in)."""
    source = not_ended("cases_opened", "o", ">= $2")
    keys = {"service": "o.service", "organisation": "o.organisation_id",
            "region": region_of("o")}
    columns = {"client_id": "o.client_id", "opened": "o.local_date", "closed": "o.ended"}
    return CellSql(source, keys, columns, {
        "n": CLIENTS, "opened": Count("count(*)", where="opened BETWEEN $2 AND $3"),
        "closed": Count("count(*)", where="closed BETWEEN $2 AND $3"),
    })


def served_cell(group: CellGroup) -> dict[str, Any]:
    return {"value": group.n(), "cases_opened": group.count("opened"),
            "cases_closed": group.count("closed")}


def caseload_cells(q: Query) -> CellSql:
    """The cases open on `to` whose holder then has a worker, with that worker."""
    return CellSql(f"{_OPEN_ON_TO} AND ({_HOLDER_WORKER}) IS NOT NULL", _OPEN_KEYS,
                   {"client_id": "o.client_id", "worker": _HOLDER_WORKER}, {"n": CLIENTS},
                   {"workers": "array_agg(worker)"}, ctes=_OPEN_CTES)


def loads_cell(group: CellGroup) -> dict[str, Any]:
    per_worker = list(Counter(group.aggregate("workers") or []).values())
    # `workers` counts professionals, not clients: published exact (INDICATORS.md).
    return {
        "value": stats.median(per_worker), "max": stats.maximum(per_worker),
        "workers": len(per_worker),
    }


def pathway_transitions_cells(q: Query) -> CellSql:
    """Cases closed in the period, each with the service of its client's first other case
    (first `CaseOpened`) opened 0–180 days after the close, first by date, recorded time,
    case id (load_next_services); "none" when there is none (a service is never null).

    Read on the close (projections/stamps.py): none when no next case was recorded by $1,
    else the first of all its next cases' openings when that is recorded by $1 and still its
    case's first then. Looked up only otherwise (a close with no stamps among them)."""
    closed = closed_cases("e.local_date BETWEEN $2 AND $3",
                          ("openings", "next_opened_at", *NEXT))
    first_next = f"""(SELECT n.service FROM facts.cases_opened n
            WHERE n.client_id = c.client_id AND n.case_id <> c.case_id
              AND n.local_date BETWEEN c.local_date AND c.local_date + 180
              AND {first_of("cases_opened", "n", "case_id")}
            ORDER BY n.local_date, n.recorded_at, n.case_id LIMIT 1)"""
    keys = _CLOSED_KEYS | {
        "from_service": "c.service",
        "to_service": f"""CASE WHEN c.openings <> 1 THEN coalesce({first_next}, 'none')
            WHEN coalesce(c.next_opened_at > $1, true) THEN 'none'
            WHEN c.next_recorded_at <= $1 AND coalesce(c.next_superseded_at > $1, true)
            THEN c.next_service ELSE coalesce({first_next}, 'none') END""",
    }
    return CellSql(closed, keys, {"client_id": "c.client_id"}, {"n": CLIENTS, "items": ITEMS},
                   parent_of="to_service")


def transitions_cell(group: CellGroup) -> dict[str, Any]:
    return _count_and_share_cell(group, "to_service")
