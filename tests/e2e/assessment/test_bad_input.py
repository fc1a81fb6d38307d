"""Bad input on every endpoint: only 4xx, never 5xx, nothing appended — property-based over
each body, explicit for the rules of the issue, and schemathesis over /openapi.json."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

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
from services.assessment.app import definition
from services.runtime.infra import Infrastructure
from services.runtime.stack import run_sync
from tests.e2e.assessment.support import (
    TEAM,
    ReferralUpstream,
    consumed,
    referred_and_opened,
    registered,
)
from tests.support.services import ServiceThread, auth

HEADERS = auth(TEAM, "doctor")

# The service runs on a thread of this process, and its Kafka client uses the `random`
# module while hypothesis draws; hypothesis then warns about random use in strategies.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module:hypothesis.errors.HypothesisDeprecationWarning")


@dataclass(frozen=True)
class Setup:
    """A running service with one accessible client, its case, an assessment in progress,
    a completed assessment and an agreed plan."""

    base_url: str
    database_url: str
    client_id: str
    other_client_id: str
    case_id: str
    other_case_id: str
    assessment_id: str
    completed_id: str
    plan_id: str


async def _seed_access(database_url: str, bootstrap: str) -> tuple[uuid.UUID, ...]:
    client_id, other_client_id = uuid.uuid4(), uuid.uuid4()
    upstream = await ReferralUpstream.start(bootstrap)
    try:
        mine, case_id = referred_and_opened(client_id)
        theirs, other_case_id = referred_and_opened(other_client_id)
        published = await upstream.publish(registered(client_id), registered(other_client_id),
                                           *mine, *theirs)
    finally:
        await upstream.stop()
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    try:
        await consumed(pool, published)
    finally:
        await pool.close()
    return client_id, other_client_id, case_id, other_case_id


async def _events_count(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM events"))
    finally:
        await conn.close()


def events_count(setup: Setup) -> int:
    return run_sync(_events_count(setup.database_url))


@pytest.fixture(scope="module")
def setup(infra: Infrastructure) -> Iterator[Setup]:
    name = f"test_assessment_{uuid.uuid4().hex[:10]}"
    url = infra.database_url(name)
    service = ServiceThread(definition, database_url=url, kafka_bootstrap=infra.kafka_bootstrap)
    try:
        with service:
            client_id, other_client_id, case_id, other_case_id = run_sync(
                _seed_access(url, infra.kafka_bootstrap))
            with httpx.Client(base_url=service.base_url, headers=HEADERS) as http:
                def create(path: str, body: dict[str, Any], key: str) -> str:
                    response = http.post(path, json=body)
                    assert response.status_code == 201, response.text
                    return str(response.json()[key])

                start = {"client_id": str(client_id), "case_id": str(case_id),
                         "kind": "physio_broad", "roles": ["physiotherapist"]}
                assessment_id = create("/assessments", start, "assessment_id")
                completed_id = create("/assessments", start, "assessment_id")
                done = http.post(f"/assessments/{completed_id}/complete", json={
                    "conclusion": "able_to_work", "benefit_recommendation": "none"})
                assert done.status_code == 200, done.text
                plan_id = create("/support-plans", {
                    "client_id": str(client_id), "case_id": str(case_id),
                    "planned_services": ["job_coaching"],
                    "review_on": (date.today() + timedelta(days=60)).isoformat()}, "plan_id")
            yield Setup(service.base_url, url, str(client_id), str(other_client_id),
                        str(case_id), str(other_case_id), assessment_id, completed_id, plan_id)
    finally:
        run_sync(infra.drop_database(name))


@pytest.fixture(scope="module")
def http(setup: Setup) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=setup.base_url, headers=HEADERS, timeout=30) as client:
        yield client


# Endpoints and valid bodies ---------------------------------------------------------------


def endpoints(s: Setup) -> dict[str, tuple[str, dict[str, Any]]]:
    """Every endpoint with a body that would be accepted (for the in-progress assessment and
    the agreed plan of the accessible client)."""
    future = (date.today() + timedelta(days=30)).isoformat()
    past = "2024-05-01T08:00:00Z"
    return {
        "start": ("/assessments", {"client_id": s.client_id, "case_id": s.case_id,
                                   "kind": "multiprofessional", "roles": ["doctor"],
                                   "occurred_at": past}),
        "complete": (f"/assessments/{s.assessment_id}/complete", {
            "conclusion": "partially_able", "recommended_services": ["job_coaching"],
            "benefit_recommendation": "none", "occurred_at": past}),
        "cancel": (f"/assessments/{s.assessment_id}/cancel",
                   {"reason": "duplicate", "occurred_at": past}),
        "score": (f"/clients/{s.client_id}/work-ability-scores",
                  {"score": 5, "phase": "baseline", "occurred_at": past}),
        "self": (f"/clients/{s.client_id}/self-assessments", {
            "instrument": "kykyviisari", "phase": "baseline",
            "domain_scores": {"competence": 6.5}, "overall": 6, "occurred_at": past}),
        "status": (f"/clients/{s.client_id}/labour-market-status",
                   {"status": "unemployed", "phase": "end", "occurred_at": past}),
        "health": ("/health-checks", {"client_id": s.client_id,
                                      "further_assessment_needed": True, "occurred_at": past}),
        "plan": ("/support-plans", {"client_id": s.client_id, "case_id": s.case_id,
                                    "planned_services": ["job_coaching"], "review_on": future,
                                    "occurred_at": past}),
        "revise": (f"/support-plans/{s.plan_id}/revise", {
            "planned_services": ["education"], "review_on": future, "occurred_at": past}),
        "consult": ("/consultations", {
            "client_id": s.client_id, "consultant_organisation_id": "kymenlaakso-kela",
            "consultant_role": "kela_expert", "topic": "benefits", "occurred_at": past}),
    }


REQUIRED = {
    "start": {"client_id", "kind"},
    "complete": {"conclusion", "benefit_recommendation"},
    "cancel": {"reason"},
    "score": {"score", "phase"},
    "self": {"instrument", "phase", "domain_scores"},
    "status": {"status", "phase"},
    "health": {"client_id", "further_assessment_needed"},
    "plan": {"client_id", "case_id", "planned_services", "review_on"},
    "revise": {"planned_services", "review_on"},
    "consult": {"consultant_organisation_id", "consultant_role", "topic"},
}

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
            | st.booleans() | containers | st.none())
bad_time = (st.text(alphabet=st.characters(categories=["L", "P", "Zs"]))
            | st.datetimes(min_value=datetime.now() + timedelta(days=1),
                           timezones=st.just(UTC)).map(datetime.isoformat)
            | st.datetimes().map(datetime.isoformat)  # naive: no offset
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
        assert 400 <= response.status_code < 500, (body, response.status_code, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        statuses.append(response.status_code)

    refused()
    assert len(statuses) >= 60 and 422 in statuses
    assert events_count(setup) == before


def test_malformed_json_and_missing_token_are_4xx(setup: Setup, http: httpx.Client) -> None:
    before = events_count(setup)
    for path, _ in endpoints(setup).values():
        broken = http.post(path, content=b'{"client_id": ',
                           headers={"Content-Type": "application/json"})
        assert broken.status_code == 422, broken.text
        anonymous = httpx.post(setup.base_url + path, json={})
        assert anonymous.status_code == 401
    assert events_count(setup) == before


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
    ]


def test_explicit_bad_inputs(setup: Setup, http: httpx.Client) -> None:
    before = events_count(setup)
    valid = endpoints(setup)
    for name, path, changes, status, field in _explicit_cases(setup):
        body = {**valid[name][1], **changes}
        response = http.post(path or valid[name][0], json=body)
        case = f"{name} {path} {changes}"
        assert response.status_code == status, f"{case}: {response.text}"
        problem = response.json()
        assert response.headers["content-type"] == "application/problem+json", case
        assert problem["status"] == status and problem["detail"], case
        if field is not None:
            assert field in [e["field"] for e in problem["errors"]], f"{case}: {problem}"
    assert events_count(setup) == before


def test_a_stranger_is_refused_with_why(setup: Setup) -> None:
    before = events_count(setup)
    path, body = endpoints(setup)["score"]
    response = httpx.post(setup.base_url + path, json=body,
                          headers=auth("pirkanmaa-ngo", "social_worker"))
    assert response.status_code == 403
    assert "neither involved" in response.json()["detail"]
    assert events_count(setup) == before


def test_schemathesis_finds_no_server_error(setup: Setup) -> None:
    schema = schemathesis.openapi.from_url(f"{setup.base_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 10
    strategy = st.one_of(*[operation.as_strategy(generation_mode=mode)
                           for operation in operations
                           for mode in (schemathesis.GenerationMode.POSITIVE,
                                        schemathesis.GenerationMode.NEGATIVE)])

    @settings(max_examples=400, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def no_server_error(case: schemathesis.Case) -> None:
        response = case.call(base_url=setup.base_url, headers=HEADERS)
        case.validate_response(response, checks=[not_a_server_error])

    no_server_error()
