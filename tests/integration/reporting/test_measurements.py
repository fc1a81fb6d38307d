"""Measurement and support plan indicators against hand-built histories."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.integration.reporting.builders import History, at
from tests.integration.reporting.conftest import Report


async def test_work_ability_change_pairs_latest_with_baseline(
    history: History, report: Report
) -> None:
    a, b, c, d, e = (history.client() for _ in range(5))
    history.score(a, "2023-12-01", "baseline", 4)
    history.score(a, "2024-03-01", "end", 6)
    history.score(a, "2024-04-01", "end", 7)  # the latest end: +3
    history.score(a, "2024-06-01", "baseline", 6)
    history.score(a, "2024-09-01", "follow_up", 5)  # against the June baseline: -1
    history.score(b, "2024-01-10", "baseline", 5, recorded=at("2024-01-10", 13))
    history.score(b, "2024-01-10", "baseline", 3, recorded=at("2024-01-10", 14))  # later
    history.score(b, "2024-02-01", "end", 3)  # 0
    history.score(c, "2024-02-01", "end", 8)  # no baseline: left out
    history.score(d, "2024-05-01", "baseline", 2)
    history.score(d, "2024-04-01", "end", 5)  # baseline dated after it: left out
    history.score(e, "2024-01-01", "baseline", 6)
    history.score(e, "2024-06-01", "end", 5)  # -1

    assert await report("work_ability_change") == [
        {"n": 3, "value": 0.25, "improved_share": 0.25, "worsened_share": 0.5,
         "suppressed": False}
    ]
    assert await report("work_ability_change", ["phase"]) == [
        {"phase": "end", "n": 3, "value": 0.667, "improved_share": 0.333,
         "worsened_share": 0.333, "suppressed": False},
        {"phase": "follow_up", "n": None, "value": None, "improved_share": None,
         "worsened_share": None, "suppressed": True},
    ]
    assert await report("work_ability_change", date_from="2022-01-01",
                        date_to="2022-12-31") == [
        {"n": 0, "value": None, "improved_share": None, "worsened_share": None,
         "suppressed": False}
    ]


async def test_self_assessment_change_ignores_null_overall(
    history: History, report: Report
) -> None:
    a, b, c = (history.client() for _ in range(3))
    history.self_assessment(a, "2024-01-01", "baseline", 5.5)
    history.self_assessment(a, "2024-05-01", "end", 6.25)  # +0.75
    history.self_assessment(a, "2024-06-01", "end", None)
    history.self_assessment(b, "2023-11-01", "baseline", 7)
    history.self_assessment(b, "2024-01-01", "baseline", None)
    history.self_assessment(b, "2024-03-01", "end", 6.5)  # -0.5
    history.self_assessment(c, "2024-02-01", "baseline", 6)
    history.self_assessment(c, "2024-08-01", "follow_up", 6)  # 0

    assert await report("self_assessment_change") == [
        {"n": 3, "value": 0.083, "improved_share": 0.333, "worsened_share": 0.333,
         "suppressed": False}
    ]


async def test_labour_market_outcome(history: History, report: Report) -> None:
    a, b, c, d = (history.client() for _ in range(4))
    history.status(a, "2024-01-01", "baseline", "unemployed")
    history.status(a, "2024-06-01", "end", "open_market_job")
    history.status(b, "2023-10-01", "baseline", "education")
    history.status(b, "2024-03-01", "end", "education")
    history.status(c, "2024-01-01", "baseline", "unemployed")
    history.status(c, "2024-05-01", "end", "rehabilitation")
    history.status(c, "2024-09-01", "follow_up", "pay_subsidised_job")
    history.status(d, "2024-05-01", "end", "open_market_job")  # no baseline

    assert await report("labour_market_outcome") == [
        {"n": 3, "value": 0.75, "baseline_share": 0.25, "work_share": 0.5,
         "suppressed": False}
    ]


async def test_clients_scored_mean_of_latest_scores(history: History, report: Report):
    a, b, c, d = (history.client() for _ in range(4))
    history.score(a, "2024-01-01", "baseline", 3)
    history.score(a, "2024-02-01", "end", 4)
    history.score(a, "2024-05-01", "end", 6)
    history.score(b, "2024-03-01", "baseline", 7, recorded=at("2024-03-01", 13))
    history.score(b, "2024-03-01", "baseline", 8, recorded=at("2024-03-01", 14))
    history.score(c, "2024-06-01", "follow_up", 5)
    history.score(d, "2023-12-01", "baseline", 9)

    assert await report("clients_scored") == [
        {"n": 3, "value": 3, "mean_score": 6.333, "suppressed": False}
    ]
    assert await report("clients_scored", date_from="2022-01-01", date_to="2022-12-31") == [
        {"n": 0, "value": 0, "mean_score": None, "suppressed": False}
    ]


async def test_follow_up_coverage(history: History, report: Report) -> None:
    a, b, c, d, e = (history.client() for _ in range(5))
    history.close_case(history.open_case(a, "2024-01-01"), a, "2024-12-01")
    history.score(a, "2025-02-01", "follow_up", 5)
    history.close_case(history.open_case(b, "2024-01-01"), b, "2024-12-02")  # too recent
    history.close_case(history.open_case(c, "2024-01-01"), c, "2024-06-01")
    history.self_assessment(c, "2024-09-01", "follow_up", None)
    history.close_case(history.open_case(d, "2024-01-01"), d, "2024-06-01")
    history.score(d, "2024-06-01", "follow_up", 5)  # not after the close
    history.status(d, "2024-09-01", "follow_up", "unemployed")  # not a measurement here
    history.close_case(history.open_case(e, "2024-01-01"), e, "2024-03-01")

    assert await report("follow_up_coverage", as_of=datetime(2025, 3, 1, tzinfo=UTC)) == [
        {"n": 4, "value": 0.5, "suppressed": False}
    ]


async def test_measurement_coverage_windows(history: History, report: Report) -> None:
    a, b, c, d = (history.client() for _ in range(4))
    for client in (a, b, c, d):
        history.close_case(history.open_case(client, "2024-02-01"), client, "2024-05-01")
    history.score(a, "2024-01-02", "baseline", 4)
    history.score(a, "2024-05-31", "end", 5)
    history.score(b, "2024-01-01", "baseline", 4)  # 31 days before opening: too early
    history.self_assessment(b, "2024-04-01", "end", 6)
    history.score(c, "2024-03-01", "baseline", 4)
    history.score(c, "2024-06-01", "end", 5)  # 31 days after closing: too late

    assert await report("measurement_coverage") == [
        {"n": 4, "value": 0.25, "baseline_share": 0.5, "end_share": 0.5, "suppressed": False}
    ]


def _planned(history: History) -> None:
    a, b, c, d, e, f = (history.client() for _ in range(6))
    referral = history.referral(a, "2024-02-01")
    case_a = history.open_case(a, "2024-03-01", referral=referral)
    history.plan(a, case_a, "2024-03-11", "2024-09-01")
    history.plan(a, case_a, "2024-04-01", "2024-09-01")
    history.plan(b, history.open_case(b, "2024-04-01", service="work_ability_coordination"),
                 "2024-04-21", "2024-09-01")
    history.open_case(c, "2024-05-01")
    history.plan(d, history.open_case(d, "2024-05-01", service="job_coaching"), "2024-05-02",
                 "2024-09-01")
    history.plan(e, history.open_case(e, "2023-12-01"), "2024-01-02", "2024-09-01")
    history.plan(f, history.open_case(f, "2024-06-01"), "2025-02-01", "2025-09-01")


async def test_support_plan_coverage(history: History, report: Report) -> None:
    _planned(history)
    assert await report("support_plan_coverage") == [
        {"n": 4, "value": 0.75, "suppressed": False}
    ]
    assert await report("support_plan_coverage", ["service"]) == [
        {"service": "work_ability_assessment", "n": 3, "value": 0.667, "suppressed": False},
        {"service": "work_ability_coordination", "n": None, "value": None, "suppressed": True},
    ]


async def test_days_to_support_plan(history: History, report: Report) -> None:
    _planned(history)
    assert await report("days_to_support_plan") == [
        {"n": 3, "value": 39.0, "p90": 245.0, "suppressed": False}
    ]
    assert await report("days_to_support_plan", date_from="2022-01-01",
                        date_to="2022-12-31") == [
        {"n": 0, "value": None, "p90": None, "suppressed": False}
    ]
