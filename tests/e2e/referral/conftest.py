"""Fixtures of the referral end-to-end tests: the running service and the leak guard, and
for the bad-input tests a service on a thread with a small world of ids."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import structlog

from services.referral.app import definition
from tests.e2e.referral.support import (
    PEOPLE,
    ThreadedReferral,
    scan_topic_for_people,
    wait_until_published,
)
from tests.support.services import RunningService, auth, running_service

EMPLOYMENT, SOTE = "kymenlaakso-employment", "kymenlaakso-sote"


@pytest.fixture(autouse=True)
def no_personal_data_in_logs(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> Iterator[None]:
    """Every log line of the test (structlog events before redaction, stdlib records, and
    anything printed) is scanned for the identity codes and names the tests used."""
    caplog.set_level(logging.INFO)
    with structlog.testing.capture_logs() as captured:
        yield
    output = capsys.readouterr()
    text = "\n".join([repr(captured), caplog.text, output.out, output.err,
                      *(repr(r.__dict__) for r in caplog.records)])
    leaked = PEOPLE.found_in(text)
    assert not leaked, f"{len(leaked)} identity codes or names found in the logs"


@pytest.fixture
async def referral(database_url: str, kafka_bootstrap: str) -> AsyncIterator[RunningService]:
    async with running_service(definition, database_url=database_url,
                               kafka_bootstrap=kafka_bootstrap) as svc:
        yield svc
        await wait_until_published(svc)
    await scan_topic_for_people(kafka_bootstrap)


@pytest.fixture(scope="module")
def svc(infra: Any, kafka_bootstrap: str) -> Iterator[ThreadedReferral]:
    with ThreadedReferral(infra, kafka_bootstrap) as running:
        yield running


@pytest.fixture(scope="module")
def ids(svc: ThreadedReferral) -> dict[str, str]:
    """A registered client with a consent, a referral awaiting decision and an open case."""
    http = svc.http

    def created(path: str, body: dict[str, Any], key: str) -> str:
        response = http.post(path, json=body, headers=auth(SOTE, "nurse"))
        assert response.status_code == 201, response.text
        return str(response.json()[key])

    client_id = created("/clients", PEOPLE.person(), "client_id")

    def refer() -> str:
        response = http.post("/referrals", headers=auth(EMPLOYMENT, "employment_expert"), json={
            "client_id": client_id, "target_organisation_id": SOTE,
            "target_service": "job_coaching", "reasons": ["other"]})
        assert response.status_code == 201, response.text
        return str(response.json()["referral_id"])

    pending, accepted = refer(), refer()
    case = http.post(f"/referrals/{accepted}/accept", headers=auth(SOTE, "nurse"),
                     json={"responsible_worker_id": str(uuid.uuid4())})
    assert case.status_code == 200, case.text
    # Holding the case, the organisation may record the client's consent (the access policy).
    consent_id = created(f"/clients/{client_id}/consents", {"scope": "research"}, "consent_id")
    return {"client_id": client_id, "consent_id": consent_id, "referral_id": pending,
            "decided_referral_id": accepted, "case_id": case.json()["case_id"]}
