"""Tokens through the HTTP API (API.md, Common rules; DESIGN.md, the access policy): an
organisation missing from the registry and an employer are 403, a token living too long, a
sub that is not a UUID and a claim with control characters are 401 — and nothing is written."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx

from services.runtime.http import issue_token
from services.runtime.settings import DEV_JWT_SECRET
from tests.e2e.referral.support import PEOPLE, row_counts
from tests.support.services import RunningService, auth

EMPLOYMENT, SOTE = "kymenlaakso-employment", "kymenlaakso-sote"
UNKNOWN_ORGANISATIONS = ("thl", "atlantis-sote", "Kymenlaakso-sote", "kymenlaakso-sote ")
EMPLOYER = "kymenlaakso-employer-1"


def bearer(*, org: str = EMPLOYMENT, role: str = "employment_expert", sub: str | None = None,
           ttl: timedelta = timedelta(hours=1)) -> dict[str, str]:
    token = issue_token(secret=DEV_JWT_SECRET, org=org, role=role,
                        sub=sub if sub is not None else str(uuid.uuid4()), ttl=ttl)
    return {"Authorization": f"Bearer {token}"}


async def attempt(referral: RunningService, http: httpx.AsyncClient, method: str, url: str,
                  body: object, headers: dict[str, str], status: int) -> None:
    """The request is refused with `status` as problem+json and adds nothing."""
    before = await row_counts(referral.ctx.pool)
    response = await http.request(method, url, json=body, headers=headers)
    assert response.status_code == status, (url, headers, response.text)
    assert response.headers["content-type"] == "application/problem+json"
    assert await row_counts(referral.ctx.pool) == before, url


async def client_with_waiting_referral(http: httpx.AsyncClient) -> str:
    registered = await http.post("/clients", json=PEOPLE.person(),
                                 headers=auth(EMPLOYMENT, "employment_expert"))
    assert registered.status_code == 201, registered.text
    client_id = str(registered.json()["client_id"])
    referred = await http.post("/referrals", headers=auth(EMPLOYMENT, "employment_expert"), json={
        "client_id": client_id, "target_organisation_id": SOTE, "target_service": "education",
        "reasons": ["other"]})
    assert referred.status_code == 201, referred.text
    return client_id


async def test_organisations_missing_from_the_registry_and_employers_are_403(
    referral: RunningService,
) -> None:
    async with referral.client() as http:
        client_id = await client_with_waiting_referral(http)
        for org in (*UNKNOWN_ORGANISATIONS, EMPLOYER):
            for role in ("employment_expert", "admin"):
                headers = bearer(org=org, role=role)
                await attempt(referral, http, "POST", "/clients", PEOPLE.person(), headers, 403)
                await attempt(referral, http, "POST", "/referrals", {
                    "client_id": client_id, "target_organisation_id": org,
                    "target_service": "job_coaching", "reasons": ["other"]}, headers, 403)
                await attempt(referral, http, "POST", f"/clients/{client_id}/consents", {
                    "scope": "data_sharing", "organisation_ids": [org]}, headers, 403)
                await attempt(referral, http, "POST", f"/clients/{client_id}/erase", None,
                              headers, 403)
                await attempt(referral, http, "GET", f"/clients/{client_id}", None, headers, 403)
        # The same requests with a registry organisation's token are not refused for its id.
        allowed = await http.post("/clients", json=PEOPLE.person(),
                                  headers=auth(SOTE, "employment_expert"))
        assert allowed.status_code == 201, allowed.text


async def test_tokens_breaking_the_claim_rules_are_401(referral: RunningService) -> None:
    professional = str(uuid.uuid4())
    refused = {
        "lives 100 years": bearer(ttl=timedelta(days=36525)),
        "lives 12 h 1 min": bearer(ttl=timedelta(hours=12, minutes=1)),
        "sub not a UUID": bearer(sub="pro-1"),
        "sub with U+0000": bearer(sub=professional[:8] + "\x00" + professional[8:]),
        "org with U+0000": bearer(org=EMPLOYMENT + "\x00"),
        "role with a newline": bearer(role="employment_expert\n"),
    }
    async with referral.client() as http:
        for label, headers in refused.items():
            before = await row_counts(referral.ctx.pool)
            response = await http.post("/clients", json=PEOPLE.person(), headers=headers)
            assert response.status_code == 401, (label, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["WWW-Authenticate"] == "Bearer"
            assert await row_counts(referral.ctx.pool) == before, label
        fine = await http.post("/clients", json=PEOPLE.person(),
                               headers=bearer(sub=professional, ttl=timedelta(hours=12)))
        assert fine.status_code == 201, fine.text
