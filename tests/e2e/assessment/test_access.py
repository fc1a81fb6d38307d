"""Who may act on a client is learned from polku.referral.v1: referral events grant access,
a consent withdrawal revokes it, and a redelivery changes nothing."""

from __future__ import annotations

import asyncio
import json
import uuid

import asyncpg

from contracts.topics import ASSESSMENT_TOPIC, REFERRAL_TOPIC
from services.runtime.access import load_client_facts
from tests.e2e.assessment.support import (
    CONSENTED,
    REFERRER,
    STRANGER,
    TEAM,
    ReferralUpstream,
    access_tables,
    consent_given,
    consent_withdrawn,
    consumed,
    events_count,
    referred_and_opened,
    registered,
)
from tests.support.services import RunningService, auth

NURSE = auth(TEAM, "nurse")


def start_body(client_id: uuid.UUID, case_id: uuid.UUID | None = None) -> dict[str, object]:
    body: dict[str, object] = {"client_id": str(client_id), "kind": "multiprofessional",
                               "roles": ["doctor", "physiotherapist"]}
    if case_id is not None:
        body["case_id"] = str(case_id)
    return body


async def test_referral_events_grant_access(
    service: RunningService, pool: asyncpg.Pool, upstream: ReferralUpstream
) -> None:
    client_id = uuid.uuid4()
    async with service.client() as http:
        unknown = await http.post("/assessments", json=start_body(client_id), headers=NURSE)
        assert unknown.status_code == 404, unknown.text
        assert unknown.headers["content-type"] == "application/problem+json"

        await consumed(pool, await upstream.publish(registered(client_id)))
        not_involved = await http.post("/assessments", json=start_body(client_id),
                                       headers=NURSE)
        assert not_involved.status_code == 403, not_involved.text
        assert "not involved" in not_involved.json()["detail"]

        events, case_id = referred_and_opened(client_id)
        await consumed(pool, await upstream.publish(*events))
        started = await http.post("/assessments", json=start_body(client_id, case_id),
                                  headers=NURSE)
        assert started.status_code == 201, started.text
        assessment_id = started.json()["assessment_id"]
        assert started.headers["location"] == f"/assessments/{assessment_id}"

        # The referring organisation of the accepted referral is involved too.
        referrer = await http.post(f"/clients/{client_id}/labour-market-status",
                                   json={"status": "unemployed", "phase": "baseline"},
                                   headers=auth(REFERRER, "employment_expert"))
        assert referrer.status_code == 201, referrer.text
        stranger = await http.post(f"/assessments/{assessment_id}/cancel",
                                   json={"reason": "duplicate"}, headers=auth(STRANGER, "nurse"))
        assert stranger.status_code == 403, stranger.text


async def test_consent_grants_and_its_withdrawal_revokes_access(
    service: RunningService, pool: asyncpg.Pool, upstream: ReferralUpstream
) -> None:
    client_id = uuid.uuid4()
    events, _ = referred_and_opened(client_id)
    await consumed(pool, await upstream.publish(registered(client_id), *events))
    kela = auth(CONSENTED, "kela_expert")
    score = {"score": 6, "phase": "interim"}
    path = f"/clients/{client_id}/work-ability-scores"
    async with service.client() as http:
        assert (await http.post(path, json=score, headers=kela)).status_code == 403

        consent = consent_given(client_id, CONSENTED)
        await consumed(pool, await upstream.publish(consent, org=REFERRER))
        granted = await http.post(path, json=score, headers=kela)
        assert granted.status_code == 201, granted.text

        await consumed(pool, await upstream.publish(consent_withdrawn(consent)))
        before = await events_count(pool)
        revoked = await http.post(path, json=score, headers=kela)
        assert revoked.status_code == 403, revoked.text
        problem = revoked.json()
        assert problem["status"] == 403 and CONSENTED in problem["detail"]
        assert "consent" in problem["detail"]
        assert await events_count(pool) == before
        # The team holding the case keeps its access.
        assert (await http.post(path, json=score, headers=NURSE)).status_code == 201


async def test_redelivered_referral_events_change_nothing(
    service: RunningService, pool: asyncpg.Pool, upstream: ReferralUpstream
) -> None:
    client_id = uuid.uuid4()
    events, _ = referred_and_opened(client_id)
    consent = consent_given(client_id, CONSENTED)
    first = await upstream.publish(registered(client_id), *events, consent,
                                   consent_withdrawn(consent))
    await consumed(pool, first)
    before = await access_tables(pool)
    processed = await pool.fetchval("SELECT count(*) FROM processed_events")

    again = await upstream.send(first.envelopes)  # the same envelopes, the same event ids
    await consumed(pool, again)

    assert await access_tables(pool) == before
    assert await pool.fetchval("SELECT count(*) FROM processed_events") == processed
    facts = await load_client_facts(pool, client_id)
    assert [c.withdrawn_on is not None for c in facts.consents.values()] == [True]


async def test_retries_concurrency_and_operations(
    service: RunningService, pool: asyncpg.Pool, upstream: ReferralUpstream
) -> None:
    """What the foundation provides, on this service: Idempotency-Key, optimistic
    concurrency, health, readiness, metrics, OpenAPI and AsyncAPI."""
    client_id = uuid.uuid4()
    events, case_id = referred_and_opened(client_id)
    await consumed(pool, await upstream.publish(registered(client_id), *events))
    async with service.client() as http:
        retry = {**NURSE, "Idempotency-Key": f"score-{client_id}"}
        path = f"/clients/{client_id}/work-ability-scores"
        before = await events_count(pool)
        first = await http.post(path, json={"score": 3, "phase": "baseline"}, headers=retry)
        again = await http.post(path, json={"score": 3, "phase": "baseline"}, headers=retry)
        assert first.status_code == again.status_code == 201
        assert first.json() == again.json()
        assert await events_count(pool) == before + 1
        other = await http.post(path, json={"score": 4, "phase": "baseline"}, headers=retry)
        assert other.status_code == 422

        started = await http.post("/assessments", json=start_body(client_id, case_id),
                                  headers=NURSE)
        decide = f"/assessments/{started.json()['assessment_id']}"
        results = await asyncio.gather(
            http.post(f"{decide}/complete", headers=NURSE, json={
                "conclusion": "able_to_work", "benefit_recommendation": "none"}),
            http.post(f"{decide}/cancel", json={"reason": "duplicate"}, headers=NURSE),
        )
        assert sorted(r.status_code for r in results) == [200, 409]

        assert (await http.get("/healthz")).status_code == 200
        assert (await http.get("/readyz")).json()["ready"] is True
        assert "polku_events_appended_total" in (await http.get("/metrics")).text
        openapi = (await http.get("/openapi.json")).json()
        assert "/support-plans/{plan_id}/revise" in openapi["paths"]
        asyncapi = json.dumps((await http.get("/asyncapi.json")).json())
        assert ASSESSMENT_TOPIC in asyncapi and REFERRAL_TOPIC in asyncapi
