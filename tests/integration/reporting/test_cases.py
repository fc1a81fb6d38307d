"""Case indicators against hand-built histories."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.integration.reporting.builders import History, at
from tests.integration.reporting.conftest import Report

SOTE, KELA, MTP = "kymenlaakso-sote", "kymenlaakso-kela", "kymenlaakso-mtp"


async def test_active_clients_use_the_holder_on_to(history: History, report: Report) -> None:
    for _ in range(3):
        c = history.client()
        case = history.open_case(c, "2024-03-01")
        # Two transfers dated on `to`: they apply in recorded order (the kela one is recorded
        # first although appended second), so the case ends at mtp.
        history.transfer(case, c, "2024-12-31", to_org=MTP, to_worker="w-mtp",
                         recorded=at("2025-01-02", 10))
        history.transfer(case, c, "2024-12-31", to_org=KELA, to_worker="w-kela",
                         recorded=at("2025-01-02", 9))
    c2 = history.client()
    history.close_case(history.open_case(c2, "2024-05-01"), c2, "2024-12-31")
    c3 = history.client()
    case3 = history.open_case(c3, "2024-12-31")
    history.transfer(case3, c3, "2025-01-05", to_org=KELA, to_worker="w",  # after `to`
                     recorded="2025-01-05")
    c4 = history.client()
    history.close_case(history.open_case(c4, "2023-01-01"), c4, "2025-02-01",
                       recorded="2025-02-01")
    history.open_case(history.client(), "2025-01-01")

    assert await report("active_clients") == [{"n": 5, "value": 5, "suppressed": False}]
    assert await report("active_clients", ["organisation"]) == [
        {"organisation": MTP, "n": 3, "value": 3, "suppressed": False},
        {"organisation": SOTE, "n": None, "value": None, "suppressed": True},
    ]
    # Before the transfers were recorded, the three cases were still held by sote.
    assert await report("active_clients", ["organisation"],
                        as_of=datetime(2025, 1, 1, tzinfo=UTC)) == [
        {"organisation": SOTE, "n": 5, "value": 5, "suppressed": False},
    ]
    assert await report("active_clients", date_to="2022-12-31") == [
        {"n": 0, "value": 0, "suppressed": False}
    ]


async def test_caseload_per_worker_and_region(history: History, report: Report) -> None:
    a, b = history.client("pirkanmaa"), history.client("pirkanmaa")
    c, d, e, f = (history.client() for _ in range(4))
    for client in (a, b, c):
        history.open_case(client, "2024-02-01", worker="w1")
    history.open_case(d, "2024-02-01", worker="w2")
    case_e = history.open_case(e, "2024-02-01", worker="w3")
    history.transfer(case_e, e, "2024-12-01", to_org=SOTE, to_worker="w2")
    history.close_case(history.open_case(f, "2024-02-01", worker="w1"), f, "2024-11-01")

    assert await report("caseload") == [
        {"n": 5, "value": 2.5, "max": 3.0, "workers": 2, "suppressed": False}
    ]
    assert await report("caseload", ["region"]) == [
        {"region": "kymenlaakso", "n": 3, "value": 1.5, "max": 2.0, "workers": 2,
         "suppressed": False},
        {"region": "pirkanmaa", "n": None, "value": None, "max": None, "workers": None,
         "suppressed": True},
    ]
    assert await report("caseload", date_to="2023-01-01") == [
        {"n": 0, "value": None, "max": None, "workers": 0, "suppressed": False}
    ]


def _closed_cases(history: History) -> None:
    for opened, closed, exit_, service in [
        ("2024-01-01", "2024-01-31", "employment", "work_ability_assessment"),  # 30
        ("2023-12-01", "2024-03-01", "employment", "work_ability_assessment"),  # 91
        ("2024-02-01", "2024-02-11", "education", "work_ability_assessment"),  # 10
        ("2024-06-01", "2024-06-21", "pension", "job_coaching"),  # 20
        ("2024-03-01", "2024-04-01", "employment", "work_ability_assessment"),  # 31
        ("2024-12-01", "2025-01-10", "employment", "work_ability_assessment"),  # not in period
    ]:
        c = history.client()
        history.close_case(history.open_case(c, opened, service=service), c, closed, exit_)


async def test_case_duration_days(history: History, report: Report) -> None:
    _closed_cases(history)
    assert await report("case_duration_days") == [
        {"n": 5, "value": 30.0, "mean": 36.4, "p90": 91.0, "suppressed": False}
    ]
    assert await report("case_duration_days", ["exit_destination"]) == [
        {"exit_destination": "education", "n": None, "value": None, "mean": None, "p90": None,
         "suppressed": True},
        {"exit_destination": "employment", "n": 3, "value": 31.0, "mean": 50.667, "p90": 91.0,
         "suppressed": False},
        {"exit_destination": "pension", "n": None, "value": None, "mean": None, "p90": None,
         "suppressed": True},
    ]
    assert await report("case_duration_days", date_from="2022-01-01", date_to="2022-12-31") == [
        {"n": 0, "value": None, "mean": None, "p90": None, "suppressed": False}
    ]


async def test_exit_destinations_share_of_the_other_groups(
    history: History, report: Report
) -> None:
    _closed_cases(history)
    assert await report("exit_destinations") == [
        {"exit_destination": "education", "n": None, "value": None, "share": None,
         "suppressed": True},
        {"exit_destination": "employment", "n": 3, "value": 3, "share": 0.6,
         "suppressed": False},
        {"exit_destination": "pension", "n": None, "value": None, "share": None,
         "suppressed": True},
    ]
    rows = await report("exit_destinations", ["service"])
    assert rows[1] == {"exit_destination": "employment", "service": "work_ability_assessment",
                       "n": 3, "value": 3, "share": 0.75, "suppressed": False}
    assert len(rows) == 3
    assert await report("exit_destinations", date_from="2022-01-01", date_to="2022-12-31") == []


async def test_clients_served(history: History, report: Report) -> None:
    a, b, c, d = (history.client() for _ in range(4))
    history.close_case(history.open_case(a, "2023-06-01"), a, "2024-01-01")
    history.open_case(b, "2024-03-01")
    history.close_case(history.open_case(c, "2023-01-01"), c, "2023-12-31")
    history.close_case(history.open_case(d, "2024-12-31"), d, "2025-01-01")
    history.close_case(history.open_case(a, "2024-02-01"), a, "2024-05-01")
    history.open_case(c, "2025-01-01")

    assert await report("clients_served") == [
        {"n": 3, "value": 3, "cases_opened": 3, "cases_closed": 2, "suppressed": False}
    ]
    assert await report("clients_served", threshold=5) == [
        {"n": None, "value": None, "cases_opened": None, "cases_closed": None,
         "suppressed": True}
    ]
    assert await report("clients_served", date_from="2021-01-01", date_to="2021-12-31") == [
        {"n": 0, "value": 0, "cases_opened": 0, "cases_closed": 0, "suppressed": False}
    ]


async def test_responsibility_transfers_by_org_kind(history: History, report: Report) -> None:
    clients = [history.client() for _ in range(3)]
    for c in clients:
        history.transfer(history.open_case(c, "2023-11-01"), c, "2024-02-01",
                         to_org=KELA, to_worker="w")
    history.transfer(history.open_case(clients[0], "2024-01-01"), clients[0], "2024-03-01",
                     to_org="kymenlaakso-ngo", to_worker="w")
    history.transfer(history.open_case(clients[1], "2023-01-01"), clients[1], "2023-03-01",
                     to_org=KELA, to_worker="w")

    assert await report("responsibility_transfers") == [
        {"n": 3, "value": 4, "suppressed": False}
    ]
    assert await report("responsibility_transfers", ["from_org_kind", "to_org_kind"]) == [
        {"from_org_kind": "wellbeing_services", "to_org_kind": "kela", "n": 3, "value": 3,
         "suppressed": False},
        {"from_org_kind": "wellbeing_services", "to_org_kind": "ngo", "n": None,
         "value": None, "suppressed": True},
    ]


async def test_pathway_transitions_pair_the_next_case(history: History, report: Report):
    p, q, r, s = (history.client() for _ in range(4))
    history.close_case(history.open_case(p, "2024-01-01"), p, "2024-02-01")
    history.open_case(p, "2024-05-01", service="education")
    history.open_case(p, "2024-03-01", service="job_coaching")
    history.close_case(history.open_case(q, "2024-01-01"), q, "2024-03-01")
    history.open_case(q, "2024-03-01", service="job_coaching")
    history.close_case(history.open_case(r, "2024-01-01"), r, "2024-04-01")
    history.open_case(r, "2024-10-01", service="education")  # 183 days later: too late
    history.close_case(history.open_case(s, "2024-01-01"), s, "2024-05-01")
    history.open_case(s, "2024-06-01", service="job_coaching", org="kymenlaakso-ngo")

    assert await report("pathway_transitions") == [
        {"from_service": "work_ability_assessment", "to_service": "job_coaching", "n": 3,
         "value": 3, "share": 0.75, "suppressed": False},
        {"from_service": "work_ability_assessment", "to_service": "none", "n": None,
         "value": None, "share": None, "suppressed": True},
    ]
    assert await report("pathway_transitions", date_from="2022-01-01",
                        date_to="2022-12-31") == []
