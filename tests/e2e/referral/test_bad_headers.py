"""Headers and methods that cannot 500 or leak (API.md, Common rules): a method not allowed
is a 405 with `Allow`; `X-Correlation-Id` / `X-Request-Id` are kept only when they are a UUID
or 1–64 characters of [A-Za-z0-9._-] (and no identity code), else replaced by a new id that
is the one stored in the event — the value sent never reaches an event or a log line (the
conftest's leak guard scans the logs for every value remembered here)."""

from __future__ import annotations

import json

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polku.stack import run_sync
from tests.e2e.referral.support import PEOPLE, ThreadedReferral
from tests.support.bad_input import (
    BAD_CORRELATION_IDS,
    assert_correlation,
    assert_problem,
    correlation_ids,
)
from tests.support.services import auth

PROFESSIONAL = auth("kymenlaakso-sote", "nurse")


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("PUT", "/clients", "POST"), ("GET", "/referrals", "POST"), ("DELETE", "/feedback", "POST"),
    ("PATCH", "/clients/{client_id}", "GET"), ("POST", "/clients/{client_id}", "GET"),
    ("GET", "/referrals/{referral_id}/accept", "POST"),
])
def test_a_method_not_allowed_is_405_with_allow(
    svc: ThreadedReferral, ids: dict[str, str], method: str, path: str, allowed: str,
) -> None:
    response = svc.http.request(method, path.format(**ids), headers=PROFESSIONAL)
    assert_problem(response, 405)
    assert allowed in response.headers["Allow"].split(", ")
    assert method not in response.headers["Allow"].split(", ")


def _correlation_ids_stored(svc: ThreadedReferral) -> dict[str, str]:
    """event id → correlationid of every stored envelope, and the envelopes' text."""
    async def read() -> dict[str, str]:
        conn = await asyncpg.connect(svc.database_url)
        try:
            rows = await conn.fetch("SELECT event_id, envelope FROM events")
        finally:
            await conn.close()
        return {str(r["event_id"]): r["envelope"] for r in rows}

    return run_sync(read())


@pytest.mark.parametrize("sent", BAD_CORRELATION_IDS)
def test_a_bad_correlation_id_is_replaced_never_stored(svc: ThreadedReferral, sent: str) -> None:
    person = PEOPLE.person()
    PEOPLE.remember(sent)
    before = set(_correlation_ids_stored(svc))
    # As bytes: the server reads header bytes as Latin-1, so a non-ASCII value arrives
    # garbled, and still must be replaced.
    response = svc.http.post("/clients", json=person, headers={
        **PROFESSIONAL, "X-Correlation-Id": sent.encode("utf-8")})
    assert response.status_code == 201, response.text
    answered = response.headers["X-Correlation-Id"]
    assert_correlation(sent, answered)
    [envelope] = [text for event_id, text in _correlation_ids_stored(svc).items()
                  if event_id not in before]
    assert json.loads(envelope)["correlationid"] == answered
    assert person["identity_code"] not in envelope
    if len(sent) >= 8:
        assert sent not in envelope


def test_a_valid_request_id_is_taken_when_the_correlation_id_is_bad(
    svc: ThreadedReferral, ids: dict[str, str]
) -> None:
    response = svc.http.get(f"/clients/{ids['client_id']}", headers={
        **PROFESSIONAL, "X-Correlation-Id": "131052-308T Aino", "X-Request-Id": "req-42.a_b"})
    assert response.status_code == 200, response.text
    assert response.headers["X-Correlation-Id"] == "req-42.a_b"


def test_any_correlation_id_is_kept_only_when_valid(
    svc: ThreadedReferral, ids: dict[str, str]
) -> None:
    @settings(max_examples=40, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(sent=correlation_ids | st.uuids().map(str))
    def kept_or_replaced(sent: str) -> None:
        response = svc.http.post("/feedback", headers={
            **PROFESSIONAL, "X-Correlation-Id": sent.encode("latin-1")}, json={"score": True})
        assert_problem(response, 422, "score")
        assert_correlation(sent, response.headers["X-Correlation-Id"])

    kept_or_replaced()
