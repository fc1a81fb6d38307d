"""Read-your-writes across services (API.md, Polku-Consistency): a client that accepts a
referral and at once starts an assessment gets its 201 on the first try when it sends the
acceptance's token — even with assessment's consumer deliberately slowed — and an honest 503
with Retry-After, never a 403 or 404, when the service cannot catch up within the bound."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace

import asyncpg
import pytest

from services.runtime.intake import ConsumedEvent
from tests.e2e.access.conftest import Stack
from tests.e2e.access.matrix import ORGS, WORKER
from tests.e2e.referral.support import PEOPLE
from tests.support.services import auth

SLOWDOWN = 1.5  # seconds per batch assessment's consumer sleeps before applying it
NURSE, EXPERT = auth(ORGS["involved"], "nurse"), auth(ORGS["referring"], "employment_expert")


@pytest.fixture
async def slow_assessment(stack: Stack) -> AsyncIterator[None]:
    consumer = stack["assessment"].ctx.consumers[0]
    original = consumer.spec

    async def slowly(conn: asyncpg.Connection, events: list[ConsumedEvent]) -> None:
        await asyncio.sleep(SLOWDOWN)
        await original.handler(conn, events)

    consumer.spec = replace(original, handler=slowly)
    try:
        yield
    finally:
        consumer.spec = original


async def accepted_referral(stack: Stack) -> tuple[str, str, str]:
    """Register, refer and accept in referral: (client, case, the acceptance's token)."""
    async with stack["referral"].client() as http:
        client = (await http.post("/clients", json=PEOPLE.person(), headers=NURSE)
                  ).json()["client_id"]
        referral = (await http.post("/referrals", headers=EXPERT, json={
            "client_id": client, "target_organisation_id": ORGS["involved"],
            "target_service": "work_ability_assessment", "reasons": ["other"]})
        ).json()["referral_id"]
        accepted = await http.post(f"/referrals/{referral}/accept", headers=NURSE,
                                   json={"responsible_worker_id": WORKER})
    assert accepted.status_code == 200, accepted.text
    token = accepted.headers["Polku-Consistency"]
    assert accepted.json()["consistency"] == token
    return client, accepted.json()["case_id"], token


def start(client: str, case: str) -> dict[str, object]:
    return {"client_id": client, "case_id": case, "kind": "multiprofessional", "roles": []}


async def test_the_token_makes_the_first_try_succeed(stack: Stack, slow_assessment: None) -> None:
    client, case, token = await accepted_referral(stack)
    async with stack["assessment"].client() as http:
        # Without the token, assessment has not heard of the client yet: the old 404.
        early = await http.post("/assessments", json=start(client, case), headers=NURSE)
        assert early.status_code == 404, early.text
        started = await http.post("/assessments", json=start(client, case),
                                  headers={**NURSE, "Polku-Consistency": token})
    assert started.status_code == 201, started.text
    # Its own token names assessment's event; referral's part is carried on by the client.
    assert started.headers["Polku-Consistency"].startswith("assessment:")


async def test_tokens_join_and_parts_of_unconsumed_services_are_ignored(stack: Stack) -> None:
    client, case, token = await accepted_referral(stack)
    async with stack["assessment"].client() as http:
        started = await http.post("/assessments", json=start(client, case),
                                  headers={**NURSE, "Polku-Consistency": token})
        own = started.headers["Polku-Consistency"]
        # Assessment does not consume its own topic: that part is ignored, not waited for.
        again = await http.post(f"/clients/{client}/work-ability-scores",
                                json={"score": 5, "phase": "baseline"},
                                headers={**NURSE, "Polku-Consistency": f"{token},{own}"})
        assert again.status_code == 201, again.text
        malformed = await http.post(f"/clients/{client}/work-ability-scores",
                                    json={"score": 5, "phase": "baseline"},
                                    headers={**NURSE, "Polku-Consistency": "nonsense"})
        assert malformed.status_code == 422
        assert malformed.json()["errors"][0]["field"] == "Polku-Consistency"


async def test_past_the_bound_it_is_503_with_retry_after(stack: Stack) -> None:
    settings = stack["assessment"].ctx.settings
    bound = settings.polku_consistency_wait_seconds
    settings.polku_consistency_wait_seconds = 0.3
    never = f"referral:{uuid.uuid4().hex}"
    try:
        async with stack["assessment"].client() as http:
            answer = await http.post("/assessments", json=start(str(uuid.uuid4()),
                                                                 str(uuid.uuid4())),
                                     headers={**NURSE, "Polku-Consistency": never})
    finally:
        settings.polku_consistency_wait_seconds = bound
    assert answer.status_code == 503, answer.text
    assert answer.headers["Retry-After"] == "1"
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"].endswith("/not-caught-up")
