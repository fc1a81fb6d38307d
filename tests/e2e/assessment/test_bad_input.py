"""Bad bodies on every endpoint: only 4xx (problem+json), never 5xx, nothing appended —
property-based over each body (times and dates past the bounds, `true` for numbers among the
bad values), bodies that are not JSON (400), a stranger's token, and correlation ids.
The explicit cases are in test_bad_values.py, schemathesis in test_schemathesis.py."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.codes import (
    AssessmentCancelReason,
    AssessmentKind,
    BenefitRecommendation,
    ConsultationTopic,
    KykyviisariDomain,
    LabourMarketStatus,
    MeasurementPhase,
    Role,
    ServiceKind,
    WorkAbilityConclusion,
)
from contracts.organisations import load_registry
from tests.e2e.assessment.bad_input_setup import REQUIRED, Setup, endpoints, events_count
from tests.support.bad_input import (
    BAD_CORRELATION_IDS,
    assert_correlation,
    assert_problem,
    correlation_ids,
    extreme_dates,
    extreme_times,
    not_json,
    post_raw,
)
from tests.support.services import auth

# The service runs on a thread of this process, and its Kafka client uses the `random`
# module while hypothesis draws; hypothesis then warns about random use in strategies.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module:hypothesis.errors.HypothesisDeprecationWarning")


# Bad values per field ---------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=6,
)
containers = st.lists(st.integers(), max_size=2) | st.dictionaries(st.text(), st.integers(),
                                                                   max_size=2)


def _not_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return True
    return False


bad_uuid = st.text().filter(_not_uuid) | st.integers() | st.booleans() | containers


def bad_code(codes: Any) -> st.SearchStrategy[Any]:
    allowed = {str(c) for c in codes}
    return (st.text().filter(lambda t: t not in allowed) | st.integers() | st.booleans()
            | containers | st.none())


def bad_code_list(codes: Any) -> st.SearchStrategy[Any]:
    valid = st.sampled_from(sorted(str(c) for c in codes))
    return (bad_code(codes).filter(lambda v: not isinstance(v, list))
            | st.tuples(st.lists(valid, max_size=2), bad_code(codes).filter(
                lambda v: v is not None)).map(lambda t: [*t[0], t[1]]))


bad_score = (st.integers().filter(lambda i: not 0 <= i <= 10)
             | st.floats(allow_nan=False).filter(lambda f: not f.is_integer())
             | st.integers(0, 10).map(float) | st.booleans() | st.integers(0, 10).map(str)
             | containers | st.none())
bad_number = (st.floats(allow_nan=False).filter(lambda f: not 0 <= f <= 10)
              | st.booleans() | st.floats(0, 10).map(str) | containers)
bad_domain_scores = (
    st.dictionaries(st.text().filter(lambda t: t not in set(KykyviisariDomain)),
                    st.floats(0, 10), min_size=1, max_size=3)
    | st.dictionaries(st.sampled_from(list(KykyviisariDomain)), bad_number, min_size=1,
                      max_size=3)
    | st.integers() | st.text() | st.lists(st.integers(), max_size=2) | st.none()
)
_DATE_LIKE = re.compile(r"^\s*[\d+-]")
bad_date = (st.text().filter(lambda t: not _DATE_LIKE.match(t))
            | st.dates(max_value=date.today() - timedelta(days=1)).map(date.isoformat)
            | extreme_dates() | st.integers()  # a number is no date
            | st.booleans() | containers | st.none())
bad_time = (st.text(alphabet=st.characters(categories=["L", "P", "Zs"]))
            | st.datetimes(min_value=datetime.now() + timedelta(days=1),
                           timezones=st.just(UTC)).map(datetime.isoformat)
            | st.datetimes().map(datetime.isoformat)  # naive: no offset
            | extreme_times() | st.integers()  # past 1900 … 2200, overflowing; a number
            | st.booleans() | containers)
bad_bool = (st.integers().filter(lambda i: i not in (0, 1)) | containers | st.none()
            | st.text().filter(lambda t: t.strip().lower() not in {
                "0", "1", "true", "false", "t", "f", "yes", "no", "y", "n", "on", "off"}))
registry = {o.id for o in load_registry()}
bad_organisation = (st.text(max_size=250).filter(lambda t: t not in registry)
                    | st.integers() | containers | st.none())

BAD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "client_id": bad_uuid, "case_id": bad_uuid,
    "kind": bad_code(AssessmentKind), "roles": bad_code_list(Role),
    "conclusion": bad_code(WorkAbilityConclusion),
    "recommended_services": bad_code_list(ServiceKind),
    "benefit_recommendation": bad_code(BenefitRecommendation),
    "reason": bad_code(AssessmentCancelReason),
    "score": bad_score, "phase": bad_code(MeasurementPhase),
    "instrument": bad_code(["kykyviisari"]), "domain_scores": bad_domain_scores,
    "overall": bad_number, "status": bad_code(LabourMarketStatus),
    "further_assessment_needed": bad_bool,
    "planned_services": bad_code_list(ServiceKind) | st.just([]),
    "review_on": bad_date, "consultant_organisation_id": bad_organisation,
    "consultant_role": bad_code(Role), "topic": bad_code(ConsultationTopic),
    "occurred_at": bad_time,
}


@st.composite
def bad_bodies(draw: st.DrawFn, name: str, valid: dict[str, Any]) -> Any:
    """A body that must be refused: not an object, an unknown field, a required field
    missing, or one field with a value its rules do not allow."""
    how = draw(st.sampled_from(["not-object", "unknown", "missing", "bad-value"]))
    if how == "not-object":
        return draw(json_values.filter(lambda v: not isinstance(v, dict)))
    body = dict(valid)
    if how == "unknown":
        body[draw(st.text().filter(lambda k: k not in valid))] = draw(json_values)
    elif how == "missing":
        del body[draw(st.sampled_from(sorted(REQUIRED[name])))]
    else:
        field = draw(st.sampled_from(sorted(valid)))
        body[field] = draw(BAD_VALUES[field])
    return body


ENDPOINTS = list(REQUIRED)


@pytest.mark.parametrize("name", ENDPOINTS)
def test_property_bad_bodies_get_4xx_and_append_nothing(
    setup: Setup, http: httpx.Client, name: str
) -> None:
    path, valid = endpoints(setup)[name]
    before = events_count(setup)
    statuses: list[int] = []

    @settings(max_examples=60, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(body=bad_bodies(name, valid))
    def refused(body: Any) -> None:
        response = http.post(path, content=json.dumps(body), headers={
            "Content-Type": "application/json"})
        assert_problem(response)
        statuses.append(response.status_code)

    refused()
    assert len(statuses) >= 60 and 422 in statuses
    assert events_count(setup) == before


def test_bodies_that_are_not_json_are_400(setup: Setup, http: httpx.Client) -> None:
    before = events_count(setup)
    paths = [path for path, _ in endpoints(setup).values()]

    @settings(max_examples=60, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(path=st.sampled_from(paths), sent=not_json())
    def bad_request(path: str, sent: tuple[bytes, str | None]) -> None:
        body, content_type = sent
        assert_problem(post_raw(http, path, body, content_type), 400, "body")

    bad_request()
    for path in paths:  # no body at all, and broken JSON, on every endpoint; no token: 401
        assert_problem(http.post(path), 400, "body")
        assert_problem(http.post(path, content=b'{"client_id": ',
                                 headers={"Content-Type": "application/json"}), 400, "body")
        assert_problem(httpx.post(setup.base_url + path, json={}), 401)
    assert events_count(setup) == before


def test_a_stranger_is_refused_with_why(setup: Setup) -> None:
    before = events_count(setup)
    path, body = endpoints(setup)["score"]
    response = httpx.post(setup.base_url + path, json=body,
                          headers=auth("pirkanmaa-ngo", "social_worker"))
    assert_problem(response, 403)
    assert "not involved" in response.json()["detail"]
    assert events_count(setup) == before


def test_correlation_ids_are_kept_only_when_valid(setup: Setup, http: httpx.Client) -> None:
    """A bad id is replaced, never echoed; the refused bodies append nothing either way."""
    before = events_count(setup)
    path, body = endpoints(setup)["score"]

    @settings(max_examples=40, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(sent=correlation_ids | st.sampled_from(BAD_CORRELATION_IDS))
    def kept_or_replaced(sent: str) -> None:
        response = http.post(path, json={**body, "score": True},
                             headers={"X-Correlation-Id": sent.encode("latin-1", "replace")})
        assert_problem(response, 422, "score")
        assert_correlation(sent.encode("latin-1", "replace").decode("latin-1"),
                           response.headers["X-Correlation-Id"])

    kept_or_replaced()
    assert events_count(setup) == before
