"""Bad input on every endpoint of the running service: only 4xx (problem+json), never 5xx,
nothing appended — by property-based tests (times past the bounds, `true` for numbers,
bodies that are not JSON among them), explicit cases, correlation ids and 405s; the
schemathesis run is in test_schemathesis.py."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from contracts.commands.coaching import (
    CompleteVocationalProfile,
    ContactEmployer,
    EndCoaching,
    EndPlacement,
    GiveFollowAlongSupport,
    RecordFidelityReview,
    StartCoaching,
    StartPlacement,
)
from contracts.events.coaching import FIDELITY_ITEMS
from polku.stack import run_sync
from tests.e2e.coaching.conftest import World
from tests.support.bad_input import (
    BAD_CORRELATION_IDS,
    OUT_OF_RANGE_DATES,
    OUT_OF_RANGE_TIMES,
    assert_correlation,
    assert_problem,
    correlation_ids,
    extreme_times,
    not_json,
    post_raw,
)
from tests.support.services import auth

SCORES = dict.fromkeys(FIDELITY_ITEMS, 3)

# The service's thread (aiokafka's jitter) touches the global `random` while hypothesis
# draws; hypothesis would otherwise warn that a strategy used it.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")


@dataclass(frozen=True)
class Endpoint:
    path: str  # {id} is replaced by an id of the world
    model: type[BaseModel]
    valid: Callable[[World], dict[str, Any]]
    ids: Callable[[World], list[uuid.UUID]] = lambda _: []
    body_optional: bool = False


ENDPOINTS = [
    Endpoint("/engagements", StartCoaching, lambda w: {
        "client_id": str(w.client_id), "case_id": None, "coach_id": str(uuid.uuid4())}),
    Endpoint("/engagements/{id}/vocational-profile", CompleteVocationalProfile, lambda _: {},
             lambda w: [w.open_engagement], body_optional=True),
    Endpoint("/engagements/{id}/employer-contacts", ContactEmployer, lambda _: {
        "employer_id": "kymenlaakso-employer-2", "purpose": "info_session"},
        lambda w: [w.open_engagement]),
    Endpoint("/engagements/{id}/end", EndCoaching, lambda _: {"outcome": "employment"},
             lambda w: [w.open_engagement]),
    Endpoint("/placements", StartPlacement, lambda w: {
        "client_id": str(w.client_id), "engagement_id": str(w.open_engagement),
        "employer_id": "kymenlaakso-employer-2", "kind": "open_market_job",
        "hours_per_week": 37.5, "wage_subsidy": False}),
    Endpoint("/placements/{id}/follow-along", GiveFollowAlongSupport,
             lambda _: {"mode": "phone"}, lambda w: [w.open_placement]),
    Endpoint("/placements/{id}/end", EndPlacement, lambda _: {"reason": "ended_as_agreed"},
             lambda w: [w.open_placement]),
    Endpoint("/fidelity-reviews", RecordFidelityReview, lambda _: {"item_scores": SCORES}),
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=12) | extreme_times()
    | st.sampled_from(OUT_OF_RANGE_TIMES + OUT_OF_RANGE_DATES),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=8,
)


@st.composite
def bad_bodies(draw: st.DrawFn, endpoint: Endpoint, world: World) -> Any:
    """A body the endpoint's schema rejects: arbitrary JSON, a valid body with one field
    replaced, removed or added."""
    valid = endpoint.valid(world)
    how = draw(st.sampled_from(["anything", "replace", "remove", "add"]))
    if how == "anything" or not valid:
        body = draw(json_values)
    elif how == "replace":
        field = draw(st.sampled_from(sorted(valid)))
        body = {**valid, field: draw(json_values)}
    elif how == "remove":
        field = draw(st.sampled_from(sorted(valid)))
        body = {k: v for k, v in valid.items() if k != field}
    else:
        body = {**valid, draw(st.text(min_size=1, max_size=10)): draw(json_values)}
    assume(not _acceptable(endpoint, body))
    return body


def _acceptable(endpoint: Endpoint, body: Any) -> bool:
    if body is None and endpoint.body_optional:
        return True
    try:
        endpoint.model.model_validate(body)
    except ValidationError:
        return False
    return True


def event_count(database_url: str) -> int:
    async def count() -> int:
        conn = await asyncpg.connect(database_url)
        try:
            return int(await conn.fetchval("SELECT count(*) FROM events"))
        finally:
            await conn.close()

    return run_sync(count())


def assert_rejected(response: Any, *statuses: int) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    if statuses:
        assert response.status_code in statuses, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.path for e in ENDPOINTS])
def test_bad_bodies_are_4xx_and_append_nothing(world: World, endpoint: Endpoint) -> None:
    before = event_count(world.database_url)
    ids = [*endpoint.ids(world), world.ended_engagement, uuid.uuid4()]

    with world.http() as http:
        @settings(max_examples=40, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(body=bad_bodies(endpoint, world), id_=st.sampled_from(ids),
               key=st.none() | st.text(alphabet="abc-1", min_size=1, max_size=40))
        def rejected(body: Any, id_: uuid.UUID, key: str | None) -> None:
            headers = {"Content-Type": "application/json"}
            if key:
                headers["Idempotency-Key"] = key
            # json.dumps writes Infinity and NaN too, which the service's parser accepts.
            response = http.post(endpoint.path.format(id=id_), content=json.dumps(body),
                                 headers=headers)
            assert_rejected(response)

        rejected()

        @settings(max_examples=15, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(sent=not_json())
        def not_json_is_400(sent: tuple[bytes, str | None]) -> None:
            id_ = (endpoint.ids(world) or [uuid.uuid4()])[0]
            response = post_raw(http, endpoint.path.format(id=id_), *sent)
            assert_problem(response, 400, "body")

        not_json_is_400()
        if not endpoint.body_optional:  # no body at all is a valid vocational profile
            id_ = (endpoint.ids(world) or [uuid.uuid4()])[0]
            assert_problem(http.post(endpoint.path.format(id=id_)), 400, "body")
    assert event_count(world.database_url) == before


def _placement(world: World, **changes: Any) -> dict[str, Any]:
    return {"client_id": str(world.client_id), "employer_id": "kymenlaakso-employer-2",
            "kind": "work_trial", **changes}


CASES: list[tuple[str, str, Callable[[World], tuple[str, Any]], int]] = [
    ("24 item scores", "/fidelity-reviews", lambda w: (
        "", {"item_scores": {k: 3 for k in FIDELITY_ITEMS[:24]}}), 422),
    ("26 item scores", "/fidelity-reviews", lambda w: (
        "", {"item_scores": {**SCORES, "26": 3}}), 422),
    ("a score of 0", "/fidelity-reviews", lambda w: ("", {"item_scores": {**SCORES, "4": 0}}),
     422),
    ("a score of 6", "/fidelity-reviews", lambda w: ("", {"item_scores": {**SCORES, "4": 6}}),
     422),
    ("a total given", "/fidelity-reviews", lambda w: (
        "", {"item_scores": SCORES, "total": 75}), 422),
    ("unknown placement kind", "/placements", lambda w: (
        "", _placement(w, kind="summer_job")), 422),
    ("negative hours", "/placements", lambda w: ("", _placement(w, hours_per_week=-1)), 422),
    ("unknown employer", "/placements", lambda w: (
        "", _placement(w, employer_id="no-such-employer")), 422),
    ("employer not an employer", "/placements", lambda w: (
        "", _placement(w, employer_id="kymenlaakso-sote")), 422),
    ("unknown employer contacted", "/engagements/{id}/employer-contacts", lambda w: (
        str(w.open_engagement), {"employer_id": "kymenlaakso-ngo", "purpose": "job_search"}),
     422),
    ("future occurred_at", "/engagements/{id}/end", lambda w: (
        str(w.open_engagement), {"outcome": "other", "occurred_at": "2999-01-01T00:00:00Z"}),
     422),
    ("unknown client", "/placements", lambda w: (
        "", _placement(w, client_id=str(uuid.uuid4()))), 404),
    ("unknown client's engagement", "/engagements", lambda w: (
        "", {"client_id": str(uuid.uuid4()), "coach_id": str(uuid.uuid4())}), 404),
    ("unknown case", "/engagements", lambda w: ("", {
        "client_id": str(w.client_id), "case_id": str(uuid.uuid4()),
        "coach_id": str(uuid.uuid4())}), 404),
    ("unknown engagement of a placement", "/placements", lambda w: (
        "", _placement(w, engagement_id=str(uuid.uuid4()))), 404),
    ("unknown engagement", "/engagements/{id}/vocational-profile", lambda w: (
        str(uuid.uuid4()), {}), 404),
    ("unknown placement", "/placements/{id}/follow-along", lambda w: (
        str(uuid.uuid4()), {"mode": "phone"}), 404),
    ("malformed id", "/placements/{id}/end", lambda w: ("not-a-uuid", {"reason": "other"}),
     422),
    ("second placement end", "/placements/{id}/end", lambda w: (
        str(w.ended_placement), {"reason": "other"}), 409),
    ("follow-along after the end", "/placements/{id}/follow-along", lambda w: (
        str(w.ended_placement), {"mode": "remote"}), 409),
    ("profile on an ended engagement", "/engagements/{id}/vocational-profile", lambda w: (
        str(w.ended_engagement), {}), 409),
    ("contact on an ended engagement", "/engagements/{id}/employer-contacts", lambda w: (
        str(w.ended_engagement), {"employer_id": "kymenlaakso-employer-1",
                                  "purpose": "job_search"}), 409),
    ("second end of an engagement", "/engagements/{id}/end", lambda w: (
        str(w.ended_engagement), {"outcome": "other"}), 409),
    ("placement in an ended engagement", "/placements", lambda w: (
        "", _placement(w, client_id=str(w.ended_client_id),
                       engagement_id=str(w.ended_engagement))), 409),
    ("placement in another client's engagement", "/placements", lambda w: (
        "", _placement(w, engagement_id=str(w.ended_engagement))), 422),
]


@pytest.mark.parametrize(("path", "make", "status"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_explicit_bad_commands(world: World, path: str, make: Callable[[World], tuple[str, Any]],
                               status: int) -> None:
    before = event_count(world.database_url)
    id_, body = make(world)
    with world.http() as http:
        assert_rejected(http.post(path.format(id=id_), json=body), status)
    assert event_count(world.database_url) == before


def test_authentication_and_authorisation(world: World) -> None:
    before = event_count(world.database_url)
    with world.http() as http:
        path = f"/engagements/{world.open_engagement}/vocational-profile"
        assert_rejected(http.post(path, headers={"Authorization": ""}), 401)
        assert_rejected(http.post(path, headers={"Authorization": "Bearer nonsense"}), 401)
        stranger = auth("pirkanmaa-ngo", "job_coach")
        assert_rejected(http.post(path, headers=stranger), 403)
        assert_rejected(http.post(f"/placements/{world.open_placement}/end",
                                  json={"reason": "other"}, headers=stranger), 403)
        assert_rejected(http.post("/placements", json=_placement(world), headers=stranger), 403)
    assert event_count(world.database_url) == before


# API.md, Common rules: (name, path, make → (id, body), field named in the 422).
COMMON_RULES: list[tuple[str, str, Callable[[World], tuple[str, Any]], str]] = [
    ("occurred_at overflowing UTC", "/engagements/{id}/end", lambda w: (
        str(w.open_engagement), {"outcome": "other",
                                 "occurred_at": "9999-12-31T23:00:00-01:00"}), "occurred_at"),
    ("occurred_at underflowing UTC", "/placements/{id}/follow-along", lambda w: (
        str(w.open_placement), {"mode": "phone", "occurred_at": "0001-01-01T00:00:00+01:00"}),
     "occurred_at"),
    ("occurred_at before 1900", "/placements", lambda w: (
        "", _placement(w, occurred_at="1899-12-31T23:59:59Z")), "occurred_at"),
    ("occurred_at as a number", "/fidelity-reviews", lambda w: (
        "", {"item_scores": SCORES, "occurred_at": 0}), "occurred_at"),
    ("hours true", "/placements", lambda w: ("", _placement(w, hours_per_week=True)),
     "hours_per_week"),
    ("hours as text", "/placements", lambda w: ("", _placement(w, hours_per_week="37.5")),
     "hours_per_week"),
    ("an item score true", "/fidelity-reviews", lambda w: (
        "", {"item_scores": {**SCORES, "4": True}}), "item_scores.4"),
    ("an item score 3.0", "/fidelity-reviews", lambda w: (
        "", {"item_scores": {**SCORES, "4": 3.0}}), "item_scores.4"),
]


@pytest.mark.parametrize(("path", "make", "field"), [c[1:] for c in COMMON_RULES],
                         ids=[c[0] for c in COMMON_RULES])
def test_common_rules_name_the_field(world: World, path: str,
                                     make: Callable[[World], tuple[str, Any]],
                                     field: str) -> None:
    before = event_count(world.database_url)
    id_, body = make(world)
    with world.http() as http:
        assert_problem(http.post(path.format(id=id_), json=body), 422, field)
    assert event_count(world.database_url) == before


def test_a_method_not_allowed_is_405_with_allow(world: World) -> None:
    with world.http() as http:
        for method, path in [("GET", "/placements"), ("PUT", "/engagements"),
                             ("DELETE", f"/placements/{world.open_placement}/end")]:
            response = http.request(method, path)
            assert_problem(response, 405)
            assert response.headers["Allow"] == "POST"


def test_correlation_ids_are_kept_only_when_valid(world: World) -> None:
    before = event_count(world.database_url)
    with world.http() as http:
        @settings(max_examples=30, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(sent=correlation_ids | st.sampled_from(BAD_CORRELATION_IDS))
        def kept_or_replaced(sent: str) -> None:
            raw = sent.encode("latin-1", "replace")
            response = http.post("/fidelity-reviews", headers={"X-Correlation-Id": raw},
                                 json={"item_scores": {**SCORES, "1": True}})
            assert_problem(response, 422, "item_scores.1")
            assert_correlation(raw.decode("latin-1"), response.headers["X-Correlation-Id"])

        kept_or_replaced()
    assert event_count(world.database_url) == before
