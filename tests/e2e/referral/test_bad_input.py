"""Bad input never yields a 5xx and never writes anything: properties and explicit cases,
with the probes of API.md's common rules (bounded times, strict numbers, identity codes born
in the future or in the 1800s, bodies that are not JSON, 405 with Allow, correlation ids)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from contracts.commands.base import Command
from contracts.commands.referral import (
    AcceptReferral,
    CloseCase,
    DeclineReferral,
    ErasePersonalData,
    GiveConsent,
    GiveFeedback,
    MakeReferral,
    RegisterClient,
    TransferResponsibility,
    WithdrawConsent,
    WithdrawReferral,
)
from tests.e2e.referral.support import PEOPLE, ThreadedReferral
from tests.support.bad_input import (
    OUT_OF_RANGE_DATES,
    OUT_OF_RANGE_TIMES,
    assert_problem,
    extreme_times,
    not_json,
    post_raw,
)
from tests.support.services import auth
from tests.unit.referral.builders import identity_code

EMPLOYMENT, SOTE = "kymenlaakso-employment", "kymenlaakso-sote"
PROFESSIONAL = auth(SOTE, "nurse")
ADMIN = auth(SOTE, "admin")


# (method, path, fields of the body, token): path ids are real, so only the body is wrong.
ENDPOINTS: list[tuple[str, str, tuple[str, ...], dict[str, str]]] = [
    ("POST", "/clients", ("identity_code", "first_name", "last_name", "home_region"),
     PROFESSIONAL),
    ("POST", "/clients/{client_id}/consents", ("scope", "organisation_ids", "valid_until"),
     PROFESSIONAL),
    ("DELETE", "/clients/{client_id}/consents/{consent_id}", ("occurred_at",), PROFESSIONAL),
    ("POST", "/clients/{client_id}/erase", ("occurred_at",), ADMIN),
    ("POST", "/referrals", ("client_id", "target_organisation_id", "target_service", "reasons",
                            "triage", "unemployment_months", "referring_org_kind"),
     auth(EMPLOYMENT, "employment_expert")),
    ("POST", "/referrals/{referral_id}/accept", ("responsible_worker_id",), PROFESSIONAL),
    ("POST", "/referrals/{referral_id}/decline", ("reason", "redirected_service"),
     PROFESSIONAL),
    ("POST", "/referrals/{referral_id}/withdraw", ("occurred_at",),
     auth(EMPLOYMENT, "employment_expert")),
    ("POST", "/cases/{case_id}/transfer", ("to_organisation_id", "to_worker_id"), PROFESSIONAL),
    ("POST", "/cases/{case_id}/close", ("exit_destination",), PROFESSIONAL),
    ("POST", "/feedback", ("client_id", "organisation_id", "service", "score", "felt_heard",
                           "helped"), PROFESSIONAL),
]

JSON_SCALARS = (st.none() | st.booleans() | st.integers() | st.text(max_size=30)
                | st.floats(allow_nan=False, allow_infinity=False) | extreme_times()
                | st.sampled_from(OUT_OF_RANGE_TIMES + OUT_OF_RANGE_DATES))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                           max_leaves=12)


def bodies(fields: tuple[str, ...]) -> st.SearchStrategy[Any]:
    """Any JSON, and objects that use the endpoint's own field names with random values."""
    known = st.dictionaries(st.sampled_from(fields), JSON_VALUES, max_size=len(fields))
    return JSON_VALUES | known | st.builds(lambda a, b: {**a, **b}, known,
                                           st.dictionaries(st.text(max_size=8), JSON_SCALARS))


BODY_MODELS: dict[str, type[Command]] = {
    "/clients": RegisterClient, "/consents": GiveConsent, "/consents/{consent_id}":
    WithdrawConsent, "/erase": ErasePersonalData, "/referrals": MakeReferral,
    "/accept": AcceptReferral, "/decline": DeclineReferral, "/withdraw": WithdrawReferral,
    "/transfer": TransferResponsibility, "/close": CloseCase, "/feedback": GiveFeedback}


def _valid_by_accident(path: str, body: Any) -> bool:
    """Body-less commands accept {} or {"occurred_at": null}: those are not bad input."""
    if body is None:
        return True
    model = next(m for suffix, m in BODY_MODELS.items() if path.endswith(suffix))
    try:
        model.model_validate(body)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(("method", "path", "fields", "headers"), ENDPOINTS,
                         ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS])
def test_random_bodies_are_refused_with_4xx_and_write_nothing(
    svc: ThreadedReferral, ids: dict[str, str], method: str, path: str,
    fields: tuple[str, ...], headers: dict[str, str],
) -> None:
    url = path.format(**ids)
    before = svc.counts()

    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(body=bodies(fields))
    def refused(body: Any) -> None:
        assume(not _valid_by_accident(path, body))
        response = svc.http.request(method, url, json=body, headers=headers)
        assert 400 <= response.status_code < 500, (response.status_code, response.text)
        assert response.headers["content-type"] == "application/problem+json"

    refused()
    assert svc.counts() == before


def _code(sign: str = "-", check: str | None = None) -> str:
    valid = identity_code(date(1984, 3, 7), 123, sign)
    return valid if check is None else valid[:-1] + check


WRONG_CHECK = _code(check="X" if _code()[-1] != "X" else "Y")
FUTURE = (datetime.now(UTC) + timedelta(days=1)).isoformat()
PAST = str(date.today() - timedelta(days=1))
UNKNOWN = str(uuid.uuid4())


def _person(**changes: Any) -> dict[str, Any]:
    if "identity_code" in changes:  # refused codes must stay out of the logs as well
        PEOPLE.remember(changes["identity_code"])
    return {**PEOPLE.person(), **changes}


# (name, method, path, body, headers, status, field named in the problem)
CASES: list[tuple[str, str, str, Any, dict[str, str], int, str | None]] = [
    ("wrong check character", "POST", "/clients", _person(identity_code=WRONG_CHECK),
     PROFESSIONAL, 422, "identity_code"),
    ("wrong century sign", "POST", "/clients", _person(identity_code=_code()[:6] + "G"
     + _code()[7:]), PROFESSIONAL, 422, "identity_code"),
    ("impossible date", "POST", "/clients", _person(identity_code="310299-123X"),
     PROFESSIONAL, 422, "identity_code"),
    ("individual number 001", "POST", "/clients",
     _person(identity_code=identity_code(date(1984, 3, 7), 1)), PROFESSIONAL, 422,
     "identity_code"),
    ("unknown region", "POST", "/clients", _person(home_region="lappi"), PROFESSIONAL, 422,
     "home_region"),
    ("empty name", "POST", "/clients", _person(first_name=""), PROFESSIONAL, 422, "first_name"),
    ("unknown field", "POST", "/clients", _person(nickname="x"), PROFESSIONAL, 422, "nickname"),
    ("future occurred_at", "POST", "/clients", _person(occurred_at=FUTURE), PROFESSIONAL, 422,
     "occurred_at"),
    ("unknown scope", "POST", "/clients/{client_id}/consents", {"scope": "marketing"},
     PROFESSIONAL, 422, "scope"),
    ("unknown consented organisation", "POST", "/clients/{client_id}/consents",
     {"scope": "data_sharing", "organisation_ids": ["atlantis-sote"]}, PROFESSIONAL, 422,
     "organisation_ids"),
    ("research consent naming organisations", "POST", "/clients/{client_id}/consents",
     {"scope": "research", "organisation_ids": [SOTE]}, PROFESSIONAL, 422, None),
    ("consent valid_until in the past", "POST", "/clients/{client_id}/consents",
     {"scope": "research", "valid_until": PAST}, PROFESSIONAL, 422, "valid_until"),
    ("malformed date", "POST", "/clients/{client_id}/consents",
     {"scope": "research", "valid_until": "31.12.2030"}, PROFESSIONAL, 422, "valid_until"),
    ("consent for unknown client", "POST", f"/clients/{UNKNOWN}/consents",
     {"scope": "research"}, PROFESSIONAL, 404, None),
    ("withdraw unknown consent", "DELETE", f"/clients/{{client_id}}/consents/{UNKNOWN}", None,
     PROFESSIONAL, 404, None),
    ("erase unknown client", "POST", f"/clients/{UNKNOWN}/erase", None, ADMIN, 404, None),
    ("malformed client id", "POST", "/clients/not-a-uuid/consents", {"scope": "research"},
     PROFESSIONAL, 422, "client_id"),
    ("referral for unknown client", "POST", "/referrals", {
        "client_id": UNKNOWN, "target_organisation_id": SOTE, "target_service": "job_coaching",
        "reasons": ["other"]}, PROFESSIONAL, 404, None),
    ("unknown target organisation", "POST", "/referrals", {
        "client_id": "{client_id}", "target_organisation_id": "atlantis-sote",
        "target_service": "job_coaching", "reasons": ["other"]}, PROFESSIONAL, 422,
     "target_organisation_id"),
    ("unknown service", "POST", "/referrals", {
        "client_id": "{client_id}", "target_organisation_id": SOTE,
        "target_service": "massage", "reasons": ["other"]}, PROFESSIONAL, 422,
     "target_service"),
    ("no reasons", "POST", "/referrals", {
        "client_id": "{client_id}", "target_organisation_id": SOTE,
        "target_service": "job_coaching", "reasons": []}, PROFESSIONAL, 422, "reasons"),
    ("unemployment months out of range", "POST", "/referrals", {
        "client_id": "{client_id}", "target_organisation_id": SOTE,
        "target_service": "job_coaching", "reasons": ["other"], "unemployment_months": 601},
     PROFESSIONAL, 422, "unemployment_months"),
    ("accept unknown referral", "POST", f"/referrals/{UNKNOWN}/accept",
     {"responsible_worker_id": UNKNOWN}, PROFESSIONAL, 404, None),
    ("second decision", "POST", "/referrals/{decided_referral_id}/decline",
     {"reason": "no_capacity"}, PROFESSIONAL, 409, None),
    ("second accept", "POST", "/referrals/{decided_referral_id}/accept",
     {"responsible_worker_id": UNKNOWN}, PROFESSIONAL, 409, None),
    ("unknown decline reason", "POST", "/referrals/{referral_id}/decline",
     {"reason": "bored"}, PROFESSIONAL, 422, "reason"),
    ("redirected without a service", "POST", "/referrals/{referral_id}/decline",
     {"reason": "redirected"}, PROFESSIONAL, 422, "redirected_service"),
    ("transfer to unknown organisation", "POST", "/cases/{case_id}/transfer",
     {"to_organisation_id": "atlantis-ngo", "to_worker_id": UNKNOWN}, PROFESSIONAL, 422,
     "to_organisation_id"),
    ("close unknown case", "POST", f"/cases/{UNKNOWN}/close", {"exit_destination": "other"},
     PROFESSIONAL, 404, None),
    ("unknown exit destination", "POST", "/cases/{case_id}/close",
     {"exit_destination": "heaven"}, PROFESSIONAL, 422, "exit_destination"),
    ("feedback score 11", "POST", "/feedback", {"organisation_id": SOTE,
     "service": "job_coaching", "score": 11}, PROFESSIONAL, 422, "score"),
    ("feedback about unknown client", "POST", "/feedback", {"client_id": UNKNOWN,
     "organisation_id": SOTE, "service": "job_coaching", "score": 8}, PROFESSIONAL, 404, None),
    ("feedback for unknown organisation", "POST", "/feedback", {"organisation_id": "atlantis",
     "service": "job_coaching", "score": 8}, PROFESSIONAL, 422, "organisation_id"),
    ("not JSON", "POST", "/feedback", "{not json", PROFESSIONAL, 400, "body"),
    # API.md, Common rules: bounded times and dates, strict numbers, refused identity codes.
    ("occurred_at overflowing UTC", "POST", "/clients",
     _person(occurred_at="9999-12-31T23:00:00-01:00"), PROFESSIONAL, 422, "occurred_at"),
    ("occurred_at underflowing UTC", "POST", "/referrals/{referral_id}/withdraw",
     {"occurred_at": "0001-01-01T00:00:00+01:00"}, auth(EMPLOYMENT, "employment_expert"), 422,
     "occurred_at"),
    ("occurred_at before 1900", "DELETE", "/clients/{client_id}/consents/{consent_id}",
     {"occurred_at": "1899-12-31T23:59:59Z"}, PROFESSIONAL, 422, "occurred_at"),
    ("occurred_at as a number", "POST", "/cases/{case_id}/close",
     {"exit_destination": "other", "occurred_at": 1700000000}, PROFESSIONAL, 422,
     "occurred_at"),
    ("valid_until after 2200", "POST", "/clients/{client_id}/consents",
     {"scope": "research", "valid_until": "9999-12-31"}, PROFESSIONAL, 422, "valid_until"),
    ("valid_until in year 1", "POST", "/clients/{client_id}/consents",
     {"scope": "research", "valid_until": "0001-01-01"}, PROFESSIONAL, 422, "valid_until"),
    ("score true", "POST", "/feedback", {"organisation_id": SOTE, "service": "job_coaching",
     "score": True}, PROFESSIONAL, 422, "score"),
    ("score as text", "POST", "/feedback", {"organisation_id": SOTE, "service": "job_coaching",
     "score": "8"}, PROFESSIONAL, 422, "score"),
    ("score 8.0", "POST", "/feedback", {"organisation_id": SOTE, "service": "job_coaching",
     "score": 8.0}, PROFESSIONAL, 422, "score"),
    ("unemployment months true", "POST", "/referrals", {
        "client_id": "{client_id}", "target_organisation_id": SOTE,
        "target_service": "job_coaching", "reasons": ["other"], "unemployment_months": True},
     PROFESSIONAL, 422, "unemployment_months"),
    ("identity code born tomorrow", "POST", "/clients",
     _person(identity_code=identity_code(date.today() + timedelta(days=2), 123)), PROFESSIONAL,
     422, "identity_code"),
    ("identity code born in 2090", "POST", "/clients",
     _person(identity_code=identity_code(date(2090, 1, 1), 124)), PROFESSIONAL, 422,
     "identity_code"),
    ("century sign +", "POST", "/clients",
     _person(identity_code=identity_code(date(1899, 5, 17), 123)), PROFESSIONAL, 422,
     "identity_code"),
]


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    return value


@pytest.mark.parametrize(("name", "method", "path", "body", "headers", "status", "field"),
                         CASES, ids=[c[0] for c in CASES])
def test_explicit_bad_input(
    svc: ThreadedReferral, ids: dict[str, str], name: str, method: str, path: str, body: Any,
    headers: dict[str, str], status: int, field: str | None,
) -> None:
    before = svc.counts()
    if isinstance(body, str):
        response = svc.http.request(method, path.format(**ids), content=body,
                                    headers={**headers, "Content-Type": "application/json"})
    else:
        response = svc.http.request(method, path.format(**ids), json=_fill(body, ids),
                                    headers=headers)
    assert response.status_code == status, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert {"type", "title", "status", "detail"} <= problem.keys()
    if field is not None:
        assert field in [e["field"] for e in problem["errors"]], problem
    if isinstance(body, dict) and "identity_code" in body:
        assert body["identity_code"] not in response.text  # errors never echo the code
    assert svc.counts() == before


@pytest.mark.parametrize(("method", "path", "fields", "headers"), ENDPOINTS,
                         ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS])
def test_bodies_that_are_not_json_are_400(
    svc: ThreadedReferral, ids: dict[str, str], method: str, path: str,
    fields: tuple[str, ...], headers: dict[str, str],
) -> None:
    before = svc.counts()

    @settings(max_examples=10, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(sent=not_json())
    def bad_request(sent: tuple[bytes, str | None]) -> None:
        body, content_type = sent
        response = post_raw(svc.http, path.format(**ids), body, content_type, headers, method)
        assert_problem(response, 400, "body")

    bad_request()
    assert svc.counts() == before
