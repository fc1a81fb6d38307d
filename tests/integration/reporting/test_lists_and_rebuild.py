"""Operational lists, the shadow rebuild, CSV rendering and request validation."""

from __future__ import annotations

from datetime import UTC, date, datetime

import asyncpg
import pytest

from services.reporting import lists
from services.reporting.indicators import DemoOrgLookup, UnknownGroupBy, compute, to_csv
from services.reporting.projections import project, rebuild
from tests.integration.reporting.builders import History
from tests.integration.reporting.conftest import LATER, Report

SOTE, KELA = "kymenlaakso-sote", "kymenlaakso-kela"
TODAY = date(2024, 12, 31)


async def test_operational_lists(conn: asyncpg.Connection, history: History) -> None:
    a, b, c, d, e, f, g, h = (history.client() for _ in range(8))
    case_a = history.open_case(a, "2024-01-01")
    history.close_case(case_a, a, "2024-06-01")
    history.close_case(history.open_case(b, "2024-01-01"), b, "2024-03-01")
    history.score(b, "2024-07-01", "follow_up", 6)
    history.close_case(history.open_case(c, "2024-01-01"), c, "2024-11-01")
    case_d = history.open_case(d, "2024-01-01")
    history.transfer(case_d, d, "2024-01-15", to_org=KELA, to_worker="w")
    history.close_case(case_d, d, "2024-02-01")
    case_e = history.open_case(e, "2024-01-01")
    history.close_case(case_e, e, "2024-05-01")
    r1 = history.referral(f, "2024-12-01")
    r2 = history.referral(g, "2024-11-01")
    history.decide(r2, g, "2024-11-02")
    history.referral(h, "2024-10-01", target=KELA)
    r4 = history.referral(h, "2024-10-01")
    case_f = history.open_case(f, "2024-11-01")
    case_g = history.open_case(g, "2024-12-15")
    case_h = history.open_case(h, "2024-10-01")
    history.score(h, "2024-10-02", "baseline", 4)
    p1 = history.plan(f, case_f, "2024-11-02", "2024-12-01")
    p2 = history.plan(g, case_g, "2024-12-16", "2024-12-20")
    history.revise(p2, g, "2024-12-19", "2025-02-01")
    history.plan(h, case_h, "2024-10-05", "2025-01-15")
    async with conn.transaction():
        await project(conn, history.envelopes())

    assert await lists.follow_ups_overdue(conn, SOTE, TODAY, LATER) == [
        {"case_id": case_e, "client_id": e, "service": "work_ability_assessment",
         "closed_on": "2024-05-01", "due_on": "2024-07-30", "days_overdue": 154},
        {"case_id": case_a, "client_id": a, "service": "work_ability_assessment",
         "closed_on": "2024-06-01", "due_on": "2024-08-30", "days_overdue": 123},
    ]
    assert await lists.referrals_waiting(conn, SOTE, TODAY, LATER) == [
        {"referral_id": r4, "client_id": h, "target_service": "work_ability_assessment",
         "referred_on": "2024-10-01", "days_waiting": 91},
        {"referral_id": r1, "client_id": f, "target_service": "work_ability_assessment",
         "referred_on": "2024-12-01", "days_waiting": 30},
    ]
    assert await lists.cases_without_baseline(conn, SOTE, TODAY, LATER) == [
        {"case_id": case_f, "client_id": f, "service": "work_ability_assessment",
         "opened_on": "2024-11-01", "days_open": 60},
    ]
    assert await lists.support_plans_due_for_review(conn, SOTE, TODAY, LATER) == [
        {"plan_id": p1, "case_id": case_f, "client_id": f, "review_on": "2024-12-01",
         "days_overdue": 30},
    ]


async def test_rebuild_swaps_in_identical_facts(
    conn: asyncpg.Connection, history: History, report: Report
) -> None:
    clients = [history.client() for _ in range(4)]
    for c in clients:
        history.close_case(history.open_case(c, "2024-01-01"), c, "2024-02-01", "education")
    before = await report("exit_destinations", ["region"])
    seen: list[tuple[int, int]] = []

    assert await rebuild(conn, chunk_size=5, progress=lambda d, t: seen.append((d, t))) == 12
    assert seen[-1] == (12, 12)
    assert await report("exit_destinations", ["region"]) == before == [
        {"exit_destination": "education", "region": "kymenlaakso", "n": 4, "value": 4,
         "share": 1.0, "suppressed": False}
    ]
    schemas = await conn.fetch(
        "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'facts%' ORDER BY 1"
    )
    assert [r["nspname"] for r in schemas] == ["facts"]


async def test_csv_and_request_validation(conn: asyncpg.Connection, history: History) -> None:
    c = history.client()
    history.referral(c, "2024-03-01", triage="red")
    async with conn.transaction():
        await project(conn, history.envelopes())
    result = await compute(
        conn, "referrals_made", date_from=date(2024, 1, 1), date_to=date(2024, 12, 31),
        group_by=["triage"], as_of=LATER, orgs=DemoOrgLookup(),
    )
    assert result == {
        "indicator": "referrals_made", "from": "2024-01-01", "to": "2024-12-31",
        "as_of": "2030-01-01T00:00:00+00:00",
        # Without an explicit disclosure control, the configured key perturbs.
        "disclosure_control": {"suppression_threshold": 5, "perturbation": "cell-key",
                               "max_noise": 2},
        "rows": [{"triage": "red", "n": None, "value": None, "suppressed": True}],
    }
    assert to_csv(result) == "triage,n,value,suppressed\nred,,,true\n"

    with pytest.raises(UnknownGroupBy) as refused:
        await compute(conn, "active_clients", date_from=date(2024, 1, 1),
                      date_to=date(2024, 12, 31), group_by=["month"],
                      as_of=datetime(2030, 1, 1, tzinfo=UTC), orgs=DemoOrgLookup())
    assert refused.value.allowed == ["service", "organisation", "region"]
    with pytest.raises(ValueError, match="at least 3"):
        await compute(conn, "referrals_made", date_from=date(2024, 1, 1),
                      date_to=date(2024, 12, 31), group_by=[], as_of=LATER, threshold=2,
                      orgs=DemoOrgLookup())


async def test_rebuild_takes_in_events_committed_late_or_meanwhile(
    conn: asyncpg.Connection, database_url: str, history: History
) -> None:
    for _ in range(6):
        history.client()
    events = history.envelopes()
    first, late, meanwhile = events[:2], events[2:4], events[4:]
    async with conn.transaction():
        await project(conn, first)
    other = await asyncpg.connect(database_url)
    third = await asyncpg.connect(database_url)
    try:
        late_tx = other.transaction()
        await late_tx.start()
        await project(other, late)  # logged before the chunks are read, committed after

        async def while_rebuilding(_: asyncpg.Connection) -> int:
            await late_tx.commit()
            async with third.transaction():
                await project(third, meanwhile)  # logged by a concurrent consumer
            return 0

        assert await rebuild(conn, chunk_size=1, then=while_rebuilding) == 6
    finally:
        await other.close()
        await third.close()
    assert await conn.fetchval("SELECT count(DISTINCT event_id) FROM facts.clients") == \
        await conn.fetchval("SELECT count(*) FROM facts.clients") == 6
