"""Explicit bad values on every assessment endpoint, each refused with the right status and
the field named, nothing appended: the rules of the issue, and API.md's common rules
(times and dates past 1900 … 2200 or overflowing, `true` or text for a number)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from tests.e2e.assessment.bad_input_setup import Setup, endpoints, events_count
from tests.e2e.assessment.support import TEAM
from tests.support.bad_input import assert_problem


def _explicit_cases(s: Setup) -> list[tuple[str, str, dict[str, Any], int, str | None]]:
    """(endpoint, path override or "", body changes, status, field named in errors)."""
    past_day = (date.today() - timedelta(days=1)).isoformat()
    future = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    unknown = str(uuid.uuid4())
    return [
        ("score", "", {"score": 11}, 422, "score"),
        ("score", "", {"score": -1}, 422, "score"),
        ("score", "", {"score": 2.5}, 422, "score"),
        ("score", "", {"score": True}, 422, "score"),
        ("score", "", {"score": "7"}, 422, "score"),
        ("score", "", {"occurred_at": future}, 422, "occurred_at"),
        ("score", "", {"occurred_at": "2025-01-01T10:00:00"}, 422, "occurred_at"),
        ("self", "", {"domain_scores": {"luck": 5}}, 422, "domain_scores.luck.[key]"),
        ("self", "", {"domain_scores": {"competence": 10.5}}, 422, "domain_scores.competence"),
        ("self", "", {"domain_scores": {"competence": -1}}, 422, "domain_scores.competence"),
        ("self", "", {"overall": 11}, 422, "overall"),
        ("self", "", {"domain_scores": {}, "overall": None}, 422, "domain_scores"),
        ("self", "", {"instrument": "wai"}, 422, "instrument"),
        ("status", "", {"occurred_at": future}, 422, "occurred_at"),
        ("status", "", {"status": "retired"}, 422, "status"),
        ("plan", "", {"review_on": past_day, "occurred_at": None}, 422, "review_on"),
        # "Not in the past" is judged at the plan's own date (a plan recorded afterwards).
        ("plan", "", {"review_on": "2024-04-30"}, 422, "review_on"),
        ("plan", "", {"planned_services": []}, 422, "planned_services"),
        ("plan", "", {"planned_services": ["job_coaching", "job_coaching"]}, 422,
         "planned_services"),
        ("plan", "", {"planned_services": ["astrology"]}, 422, "planned_services.0"),
        ("plan", "", {"case_id": s.other_case_id}, 422, "case_id"),
        ("plan", "", {"case_id": unknown}, 404, None),
        ("revise", "", {"review_on": past_day, "occurred_at": None}, 422, "review_on"),
        ("revise", "", {"planned_services": []}, 422, "planned_services"),
        ("revise", f"/support-plans/{unknown}/revise", {}, 404, None),
        ("start", "", {"kind": "palmistry"}, 422, "kind"),
        ("start", "", {"roles": ["chef"]}, 422, "roles.0"),
        ("start", "", {"case_id": s.other_case_id}, 422, "case_id"),
        ("start", "", {"case_id": unknown}, 404, None),
        ("start", "", {"client_id": unknown}, 404, None),
        ("start", "", {"client_id": "not-a-uuid"}, 422, "client_id"),
        ("start", "", {"organisation_id": TEAM}, 422, "organisation_id"),
        ("complete", "", {"conclusion": "fine"}, 422, "conclusion"),
        ("complete", f"/assessments/{unknown}/complete", {}, 404, None),
        ("complete", f"/assessments/{s.completed_id}/complete", {}, 409, None),
        ("cancel", f"/assessments/{s.completed_id}/cancel", {}, 409, None),
        ("cancel", "", {"reason": "bored"}, 422, "reason"),
        ("score", f"/clients/{unknown}/work-ability-scores", {}, 404, None),
        ("score", "/clients/nobody/work-ability-scores", {}, 422, "client_id"),
        ("health", "", {"client_id": unknown}, 404, None),
        ("health", "", {"further_assessment_needed": "maybe"}, 422,
         "further_assessment_needed"),
        ("consult", "", {"consultant_organisation_id": "atlantis-sote"}, 422,
         "consultant_organisation_id"),
        ("consult", "", {"topic": "weather"}, 422, "topic"),
        ("consult", "", {"client_id": unknown}, 404, None),
        # API.md, Common rules: bounded, overflow-safe times and dates; strict numbers.
        ("score", "", {"occurred_at": "9999-12-31T23:00:00-01:00"}, 422, "occurred_at"),
        ("status", "", {"occurred_at": "0001-01-01T00:00:00+01:00"}, 422, "occurred_at"),
        ("health", "", {"occurred_at": "1899-12-31T23:59:59Z"}, 422, "occurred_at"),
        ("start", "", {"occurred_at": 1700000000}, 422, "occurred_at"),
        ("plan", "", {"review_on": "9999-12-31"}, 422, "review_on"),
        ("revise", "", {"review_on": "2201-01-01"}, 422, "review_on"),
        ("plan", "", {"review_on": "0001-01-01", "occurred_at": None}, 422, "review_on"),
        ("self", "", {"overall": True}, 422, "overall"),
        ("self", "", {"domain_scores": {"competence": True}}, 422, "domain_scores.competence"),
        ("self", "", {"domain_scores": {"competence": "6"}}, 422, "domain_scores.competence"),
        ("score", "", {"score": 5.0}, 422, "score"),
        ("score", "", {"score": False}, 422, "score"),
    ]


def test_explicit_bad_inputs(setup: Setup, http: httpx.Client) -> None:
    before = events_count(setup)
    valid = endpoints(setup)
    for name, path, changes, status, field in _explicit_cases(setup):
        body = {**valid[name][1], **changes}
        response = http.post(path or valid[name][0], json=body)
        try:
            assert_problem(response, status, field)
        except AssertionError as error:
            raise AssertionError(f"{name} {path} {changes}: {error}") from error
    assert events_count(setup) == before
