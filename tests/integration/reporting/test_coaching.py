"""Coaching, placement, fidelity and client experience indicators."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.integration.reporting.builders import History, at
from tests.integration.reporting.conftest import Report


def _coaching(history: History) -> None:
    a, b, c, d, e = (history.client() for _ in range(5))
    ea = history.coaching(a, "2024-01-01")
    history.employer_contact(ea, a, "2024-01-21")
    history.employer_contact(ea, a, "2024-01-11")
    history.placement(a, "2024-05-01", "open_market_job", engagement=ea)
    history.end_coaching(ea, a, "2024-06-01")
    eb = history.coaching(b, "2023-01-01")
    history.placement(b, "2023-06-01", "work_trial", engagement=eb)
    history.end_coaching(eb, b, "2024-01-01")
    history.placement(b, "2024-02-01", "pay_subsidised_job", subsidy=True)  # after its end
    ec = history.coaching(c, "2024-03-01")
    history.employer_contact(ec, c, "2024-04-15")
    history.placement(c, "2025-01-15", "open_market_job")  # after `to`
    ed = history.coaching(d, "2023-01-01")
    history.end_coaching(ed, d, "2023-12-31")  # ended before the period
    history.placement(d, "2023-06-01", "open_market_job")
    e1 = history.coaching(e, "2024-01-01")
    history.end_coaching(e1, e, "2024-02-01")
    e2 = history.coaching(e, "2024-06-01")
    history.employer_contact(e2, e, "2024-06-30")
    history.placement(e, "2024-07-01", "pay_subsidised_job", subsidy=True, engagement=e2)


async def test_coaching_employment_rate(history: History, report: Report) -> None:
    _coaching(history)
    assert await report("coaching_employment_rate") == [
        {"n": 4, "value": 0.5, "any_placement_share": 0.75, "suppressed": False}
    ]
    assert await report("coaching_employment_rate", threshold=5) == [
        {"n": None, "value": None, "any_placement_share": None, "suppressed": True}
    ]


async def test_days_to_first_employer_contact(history: History, report: Report) -> None:
    _coaching(history)
    assert await report("days_to_first_employer_contact", ["organisation"]) == [
        {"organisation": "kymenlaakso-ngo", "n": 3, "value": 29.0, "share_within_30": 0.667,
         "suppressed": False}
    ]


async def test_placements_started(history: History, report: Report) -> None:
    _coaching(history)
    assert await report("placements_started") == [{"n": 3, "value": 3, "suppressed": False}]
    assert await report("placements_started", ["wage_subsidy"]) == [
        {"wage_subsidy": False, "n": None, "value": None, "suppressed": True},
        {"wage_subsidy": True, "n": None, "value": None, "suppressed": True},
    ]


async def test_placement_retention_90d(history: History, report: Report) -> None:
    clients = [history.client() for _ in range(5)]
    p1 = history.placement(clients[0], "2024-01-01")
    history.end_placement(p1, clients[0], "2024-03-30")  # 89 days: ended within 90
    p2 = history.placement(clients[1], "2024-01-01")
    history.end_placement(p2, clients[1], "2024-03-31")  # 90 days: continued
    p3 = history.placement(clients[2], "2024-02-01")
    history.end_placement(p3, clients[2], "2024-02-10", "converted_to_permanent")
    history.placement(clients[3], "2024-12-01")  # exactly 90 days before as_of
    p5 = history.placement(clients[4], "2024-12-02")  # 89 days: not yet counted
    history.end_placement(p5, clients[4], "2024-12-03")

    assert await report("placement_retention_90d",
                        as_of=datetime(2025, 3, 1, tzinfo=UTC)) == [
        {"n": 4, "value": 0.75, "suppressed": False}
    ]


async def test_fidelity_score_is_never_suppressed(history: History, report: Report) -> None:
    history.fidelity("2024-02-01", 80)
    history.fidelity("2024-06-01", 95, )
    history.events[-1]["time"] = at("2024-06-01", 13).astimezone(UTC).isoformat()
    history.fidelity("2024-06-01", 90)
    history.events[-1]["time"] = at("2024-06-01", 14).astimezone(UTC).isoformat()
    history.fidelity("2024-03-01", 70, org="pirkanmaa-ngo")
    history.fidelity("2023-03-01", 125)

    assert await report("fidelity_score") == [
        {"organisation": "kymenlaakso-ngo", "n": 3, "value": 90, "reviews": 3,
         "suppressed": False},
        {"organisation": "pirkanmaa-ngo", "n": 1, "value": 70, "reviews": 1,
         "suppressed": False},
    ]
    assert await report("fidelity_score", ["month"]) == [
        {"organisation": "kymenlaakso-ngo", "month": "2024-02", "n": 1, "value": 80,
         "reviews": 1, "suppressed": False},
        {"organisation": "kymenlaakso-ngo", "month": "2024-06", "n": 2, "value": 90,
         "reviews": 2, "suppressed": False},
        {"organisation": "pirkanmaa-ngo", "month": "2024-03", "n": 1, "value": 70,
         "reviews": 1, "suppressed": False},
    ]
    assert await report("fidelity_score", date_from="2022-01-01", date_to="2022-12-31") == []


async def test_client_experience_nps_and_shares(history: History, report: Report) -> None:
    clients = [history.client() for _ in range(5)]
    for client, score, helped in zip(
        [*clients, None], [10, 9, 9, 6, 2, 8], [True, False, None, True, None, None],
        strict=True,
    ):
        history.feedback("2024-04-01", score, client=client, helped=helped)
    for score in [9, 6, 5, 7, 8, 7, 8, 7]:  # anonymous, NPS -12.5 rounds away from zero
        history.feedback("2024-05-01", score, org="pirkanmaa-sote")
    history.feedback("2023-05-01", 0)

    assert await report("client_experience", ["organisation"], threshold=5) == [
        {"organisation": "kymenlaakso-sote", "n": 6, "value": 17, "mean_score": 7.333,
         "helped_share": 0.667, "felt_heard_share": None, "suppressed": False},
        {"organisation": "pirkanmaa-sote", "n": 8, "value": -13, "mean_score": 7.125,
         "helped_share": None, "felt_heard_share": None, "suppressed": False},
    ]
    assert await report("client_experience", ["region"], threshold=5) == [
        {"region": "kymenlaakso", "n": 6, "value": 17, "mean_score": 7.333,
         "helped_share": 0.667, "felt_heard_share": None, "suppressed": False},
        {"region": "pirkanmaa", "n": 8, "value": -13, "mean_score": 7.125,
         "helped_share": None, "felt_heard_share": None, "suppressed": False},
    ]
    assert await report("client_experience", date_from="2022-01-01", date_to="2022-12-31") == [
        {"n": 0, "value": None, "mean_score": None, "helped_share": None,
         "felt_heard_share": None, "suppressed": False}
    ]
