"""Assessment, health check and consultation indicators against hand-built histories."""

from __future__ import annotations

from tests.integration.reporting.builders import History, at
from tests.integration.reporting.conftest import Report

SOTE, KELA = "kymenlaakso-sote", "kymenlaakso-kela"


async def test_assessments_completed_by_kind_counted_once_when_delivered_twice(
    history: History, report: Report
) -> None:
    for _ in range(3):
        c = history.client()
        history.complete(history.assessment(c, "2024-01-05"), c, "2024-02-01")
    c = history.client()
    history.complete(history.assessment(c, "2024-01-05", kind="physio_broad"), c, "2024-02-01",
                     conclusion="able_to_work")
    history.complete(history.assessment(c, "2023-01-05"), c, "2023-02-01")
    history.events.extend(list(history.events))  # every event delivered twice

    assert await report("assessments_completed", ["kind"]) == [
        {"kind": "multiprofessional", "n": 3, "value": 3, "suppressed": False},
        {"kind": "physio_broad", "n": None, "value": None, "suppressed": True},
    ]
    # A second projection of the same events changes nothing.
    assert await report("assessments_completed") == [{"n": 4, "value": 4, "suppressed": False}]
    assert await report("assessments_completed", date_from="2022-01-01",
                        date_to="2022-12-31") == [{"n": 0, "value": 0, "suppressed": False}]


async def test_health_checks_by_month(history: History, report: Report) -> None:
    for _ in range(3):
        history.health_check(history.client(), "2024-02-15")
    history.health_check(history.client(), "2024-03-01")
    history.health_check(history.client(), "2023-03-01")

    assert await report("health_checks", ["month"]) == [
        {"month": "2024-02", "n": 3, "value": 3, "suppressed": False},
        {"month": "2024-03", "n": None, "value": None, "suppressed": True},
    ]
    assert await report("health_checks", ["organisation"]) == [
        {"organisation": SOTE, "n": 4, "value": 4, "suppressed": False},
    ]


async def test_repeat_assessments(history: History, report: Report) -> None:
    a, b, c, d, e = (history.client() for _ in range(5))
    history.assessment(a, "2023-12-01")
    history.assessment(a, "2024-03-01", org=KELA)  # repeat, another organisation's earlier
    history.assessment(b, "2024-01-10", kind="physio_broad", recorded=at("2024-01-10", 13))
    history.assessment(b, "2024-01-10", kind="physio_broad", recorded=at("2024-01-10", 14))
    history.cancel(history.assessment(c, "2024-01-01"), c, "2024-01-02")
    history.assessment(c, "2024-02-01")  # the earlier one is cancelled: not a repeat
    history.assessment(d, "2023-06-01")
    history.assessment(d, "2024-01-01")  # 214 days later: not a repeat
    history.assessment(e, "2024-05-01", kind="health_check")
    history.assessment(e, "2024-05-02")  # another kind: not a repeat

    assert await report("repeat_assessments") == [
        {"n": 5, "value": 2, "share": 0.25, "other_org_share": 0.5, "suppressed": False}
    ]
    assert await report("repeat_assessments", ["kind"]) == [
        {"kind": "health_check", "n": None, "value": None, "share": None,
         "other_org_share": None, "suppressed": True},
        {"kind": "multiprofessional", "n": 4, "value": 1, "share": 0.2,
         "other_org_share": 1.0, "suppressed": False},
        {"kind": "physio_broad", "n": None, "value": None, "share": None,
         "other_org_share": None, "suppressed": True},
    ]
    assert await report("repeat_assessments", date_from="2022-01-01",
                        date_to="2022-12-31") == [
        {"n": 0, "value": 0, "share": None, "other_org_share": None, "suppressed": False}
    ]


async def test_consultations_are_counted_by_record_in_the_requesters_region(
    history: History, report: Report
) -> None:
    pirkanmaa_client = history.client("pirkanmaa")
    history.consultation("2024-02-01", client=pirkanmaa_client)
    history.consultation("2024-02-02")
    history.consultation("2024-02-03", topic="mental_health")
    history.consultation("2024-02-03", org="pirkanmaa-employment")
    history.consultation("2023-02-03")

    assert await report("consultations", ["region"]) == [
        {"region": "kymenlaakso", "n": 3, "value": 3, "suppressed": False},
        {"region": "pirkanmaa", "n": None, "value": None, "suppressed": True},
    ]
    assert await report("consultations", ["requesting_org_kind"]) == [
        {"requesting_org_kind": "employment_services", "n": 4, "value": 4, "suppressed": False}
    ]
