"""Query input that cannot 500 (API.md, Common rules): every `from`, `to` and `as_of` past
1900 … 2200 or overflowing a conversion is a 422 naming the parameter, the bounds themselves
answer, any value at all is a 4xx problem or an answer; a 405 carries `Allow`; a correlation
id is kept only when valid."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.reporting.bad_input_setup import ANALYST, DATED_ROUTES, Served
from tests.e2e.reporting.support import SOTE
from tests.support.bad_input import (
    BAD_CORRELATION_IDS,
    OUT_OF_RANGE_DATES,
    OUT_OF_RANGE_TIMES,
    assert_correlation,
    assert_problem,
    correlation_ids,
    extreme_dates,
    extreme_times,
)
from tests.support.services import auth

pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")

PROBES = [(route, name) for route, names in DATED_ROUTES.items() for name in names]


@pytest.fixture(scope="module")
def http(served: Served) -> Any:
    with httpx.Client(base_url=served.base_url, headers=ANALYST, timeout=60) as client:
        yield client


def _get(http: httpx.Client, route: str, **params: Any) -> httpx.Response:
    path, _, fixed = route.partition("?")
    query = dict(p.split("=") for p in fixed.split("&") if p)
    return http.get(path, params={**query, **params})


@pytest.mark.parametrize(("route", "name"), PROBES, ids=[f"{r} {n}" for r, n in PROBES])
def test_times_and_dates_past_the_bounds_are_422_naming_the_parameter(
    http: httpx.Client, route: str, name: str
) -> None:
    values = OUT_OF_RANGE_TIMES if name == "as_of" else OUT_OF_RANGE_DATES
    for value in [*values, "2024-13-01", "yesterday"]:
        assert_problem(_get(http, route, **{name: value}), 422, name)


@pytest.mark.parametrize("route", list(DATED_ROUTES))
def test_the_bounds_themselves_answer(http: httpx.Client, route: str) -> None:
    """The widest period and the earliest and latest as_of compute without overflow."""
    names = DATED_ROUTES[route]
    widest = {"from": "1900-01-01", "to": "2200-12-31"} if "from" in names else {}
    for as_of in ("1900-01-01T00:00:00Z", "2200-12-31T23:59:59+00:00",
                  "1900-01-01T02:00:00+02:00", "2200-12-31T22:00:00-01:59"):
        response = _get(http, route, **widest, as_of=as_of)
        assert response.status_code == 200, (as_of, response.text)


def test_any_query_value_is_an_answer_or_a_problem(http: httpx.Client) -> None:
    values = (extreme_times() | extreme_dates() | st.text(max_size=40)
              | st.sampled_from(["1900-01-01", "2200-12-31", "2024-06-30T12:00:00+03:00"]))

    @settings(max_examples=80, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(route=st.sampled_from(list(DATED_ROUTES)), params=st.dictionaries(
        st.sampled_from(["from", "to", "as_of"]), values, min_size=1))
    def answered(route: str, params: dict[str, str]) -> None:
        response = _get(http, route, **params)
        if response.status_code != 200:
            assert_problem(response, 422)

    answered()


def test_the_timeline_of_the_client_answers_and_bad_ids_are_422(
    http: httpx.Client, served: Served
) -> None:
    nurse = auth(SOTE, "nurse")  # the organisation holding the client's case
    answer = http.get(f"/clients/{served.client_id}/timeline", headers=nurse)
    assert answer.status_code == 200, answer.text
    assert_problem(http.get("/clients/131052-308T/timeline", headers=nurse), 422, "client_id")


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("POST", "/indicators", "GET"), ("DELETE", "/indicators/referrals_made", "GET"),
    ("PUT", "/referrals/waiting", "GET"), ("POST", "/dashboard/data", "GET"),
])
def test_a_method_not_allowed_is_405_with_allow(
    http: httpx.Client, method: str, path: str, allowed: str
) -> None:
    response = http.request(method, path)
    assert_problem(response, 405)
    assert allowed in response.headers["Allow"].split(", ")


def test_correlation_ids_are_kept_only_when_valid(http: httpx.Client) -> None:
    @settings(max_examples=30, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(sent=correlation_ids | st.sampled_from(BAD_CORRELATION_IDS))
    def kept_or_replaced(sent: str) -> None:
        raw = sent.encode("latin-1", "replace")
        response = http.get("/indicators/referrals_made", headers={"X-Correlation-Id": raw},
                            params={"as_of": "9999-12-31T23:00:00-01:00"})
        assert_problem(response, 422, "as_of")
        assert_correlation(raw.decode("latin-1"), response.headers["X-Correlation-Id"])

    kept_or_replaced()


def test_every_indicator_answers_for_the_widest_period(http: httpx.Client) -> None:
    """Each indicator, grouped by each key it allows, over 1900 … 2200 as of the last moment."""
    catalogue = http.get("/indicators").json()["indicators"]
    assert len(catalogue) >= 25
    for indicator in catalogue:
        for group_by in [None, *indicator["group_by"]]:
            response = http.get(f"/indicators/{indicator['id']}", params={
                "from": "1900-01-01", "to": "2200-12-31", "as_of": "2200-12-31T23:59:59Z",
                **({"group_by": group_by} if group_by else {})})
            assert response.status_code == 200, (indicator["id"], group_by, response.text)
