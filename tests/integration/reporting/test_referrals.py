"""Referral indicators against hand-built histories."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.integration.reporting.builders import History
from tests.integration.reporting.conftest import Report


async def test_referrals_made_counts_each_reason_and_suppresses_small_cells(
    history: History, report: Report
) -> None:
    clients = [history.client() for _ in range(5)]
    for c in clients:
        history.referral(c, "2024-02-10", reasons=["mental_health", "physical_health"])
    history.referral(clients[0], "2024-03-01", reasons=["mental_health"])  # several referrals
    history.referral(clients[1], "2023-12-31")  # before the period

    assert await report("referrals_made", threshold=5) == [
        {"n": 5, "value": 6, "suppressed": False}
    ]
    assert await report("referrals_made", ["reason"], threshold=5) == [
        {"reason": "mental_health", "n": 5, "value": 6, "suppressed": False},
        {"reason": "physical_health", "n": 5, "value": 5, "suppressed": False},
    ]
    assert await report("referrals_made", ["month"], threshold=5) == [
        {"month": "2024-02", "n": 5, "value": 5, "suppressed": False},
        {"month": "2024-03", "n": None, "value": None, "suppressed": True},
    ]


async def test_referrals_made_empty_period_is_one_zero_row(history: History, report: Report):
    assert await report("referrals_made") == [{"n": 0, "value": 0, "suppressed": False}]
    assert await report("referrals_made", ["triage"]) == []


async def test_referrals_by_region_use_registration_known_at_as_of(
    history: History, report: Report
) -> None:
    # Events of one client arrive across topics in reverse order: the referral first,
    # the registration recorded later.
    late, early = datetime(2024, 6, 1, tzinfo=UTC), datetime(2024, 5, 1, tzinfo=UTC)
    clients = [history.client("pirkanmaa", recorded="2024-01-05") for _ in range(3)]
    for c in clients:
        history.referral(c, "2024-03-01", recorded="2024-03-02")
    ghost = "00000000-0000-4000-8000-000000000001"
    history.referral(ghost, "2024-03-01", recorded="2024-03-02")
    history.client("vantaa-kerava", recorded="2024-05-15")
    history.events[-1]["data"]["client_id"] = ghost
    history.events[-1]["clientid"] = ghost
    history.events.reverse()

    assert await report("referrals_made", ["region"], as_of=early) == [
        {"region": "pirkanmaa", "n": 3, "value": 3, "suppressed": False},
        {"region": None, "n": None, "value": None, "suppressed": True},
    ]
    assert await report("referrals_made", ["region"], as_of=late) == [
        {"region": "pirkanmaa", "n": 3, "value": 3, "suppressed": False},
        {"region": "vantaa-kerava", "n": None, "value": None, "suppressed": True},
    ]


async def test_acceptance_rate_counts_decisions_in_period(history: History, report: Report):
    clients = [history.client() for _ in range(4)]
    made = [history.referral(c, "2023-12-20", service="job_coaching") for c in clients]
    history.decide(made[0], clients[0], "2024-01-05", "accepted")
    history.decide(made[1], clients[1], "2024-01-10", "accepted")
    history.decide(made[2], clients[2], "2024-02-01", "declined")
    history.decide(made[3], clients[3], "2024-02-02", "withdrawn")  # not counted
    extra = history.referral(clients[3], "2024-11-01", service="job_coaching")
    history.decide(extra, clients[3], "2025-01-02", "declined")  # decision after period

    assert await report("referral_acceptance_rate", ["target_service"]) == [
        {"target_service": "job_coaching", "n": 3, "value": 0.667, "suppressed": False},
    ]
    assert await report("referral_acceptance_rate", ["month"]) == [
        {"month": "2024-01", "n": None, "value": None, "suppressed": True},
        {"month": "2024-02", "n": None, "value": None, "suppressed": True},
    ]
    assert await report("referral_acceptance_rate", date_from="2022-01-01",
                        date_to="2022-12-31") == [
        {"n": 0, "value": None, "suppressed": False}
    ]


async def test_days_to_assessment_uses_first_assessment_on_or_after_referral(
    history: History, report: Report
) -> None:
    a, b, c, d = (history.client() for _ in range(4))
    history.assessment(a, "2024-01-01")  # before the referral: ignored
    history.referral(a, "2024-01-10")
    history.assessment(a, "2024-01-20", org="kymenlaakso-kela")  # 10 days
    history.assessment(a, "2024-01-25")
    history.referral(b, "2024-02-01")
    cancelled = history.assessment(b, "2024-02-01")  # same day, cancelled: 0 days
    history.cancel(cancelled, b, "2024-02-02")
    history.referral(c, "2024-03-01")
    history.assessment(c, "2025-03-01")  # 365 days, dated after the period
    history.referral(d, "2024-04-01")  # never assessed: left out
    history.referral(a, "2024-05-01")  # a second referral of a: no assessment after it

    assert await report("days_to_assessment") == [
        {"n": 3, "value": 10.0, "p90": 365.0, "suppressed": False}
    ]


async def test_unemployment_before_referral(history: History, report: Report) -> None:
    clients = [history.client() for _ in range(4)]
    for c, months in zip(clients, [3, 12, 30, None], strict=True):
        history.referral(c, "2024-06-01", months=months)
    history.referral(clients[0], "2024-07-01", months=6)

    assert await report("unemployment_before_referral") == [
        {"n": 3, "value": 9.0, "p90": 30.0, "share_under_12": 0.5, "suppressed": False}
    ]


async def test_referral_queue_is_a_snapshot_on_to(history: History, report: Report) -> None:
    clients = [history.client() for _ in range(4)]
    waiting = [history.referral(c, day) for c, day in
               zip(clients, ["2023-10-01", "2024-12-01", "2024-12-21", "2024-12-30"], strict=True)]
    history.decide(waiting[1], clients[1], "2025-01-05", "accepted")  # after `to`: waiting
    history.decide(waiting[3], clients[3], "2024-12-31", "withdrawn")  # on `to`: not waiting
    history.referral(clients[0], "2025-01-02")  # after `to`

    assert await report("referral_queue", ["target_organisation"]) == [
        {"target_organisation": "kymenlaakso-sote", "n": 3, "value": 3,
         "median_wait_days": 30.0, "max_wait_days": 457.0, "suppressed": False}
    ]
    assert await report("referral_queue", date_to="2023-01-01") == [
        {"n": 0, "value": 0, "median_wait_days": None, "max_wait_days": None,
         "suppressed": False}
    ]
