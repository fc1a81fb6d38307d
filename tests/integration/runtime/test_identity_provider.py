"""A real service (uvicorn, PostgreSQL, Kafka) configured for an identity provider's JWKS:
the token cases answer as API.md says, over HTTP, and a key rotation is picked up without
a restart; a slow or failing provider never blocks the event loop or gives a 500."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest

from tests.integration.runtime.test_service import DEFINITION, SCORES
from tests.support.identity_provider import (
    AUDIENCE,
    ISSUER,
    JwksServer,
    SigningKey,
    provider_claims,
)
from tests.support.services import running_service

# Keycloak's shape: realm roles in realm_access.roles, the organisation as a group path.
IDENTITY_PROVIDER = {
    "polku_jwt_issuer": ISSUER,
    "polku_jwt_audience": AUDIENCE,
    "polku_jwt_role_claim": "realm_access.roles",
    "polku_jwt_role_map": {"polku-job-coach": "job_coach", "polku-nurse": "nurse"},
    "polku_jwt_org_claim": "groups",
    "polku_jwt_org_map": {"/kymenlaakso/ngo": "kymenlaakso-ngo",
                          "/kymenlaakso/sote": "kymenlaakso-sote",
                          "/nowhere": "not-in-the-registry"},
    "polku_jwt_jwks_refresh_seconds": 1.0,
}


@pytest.fixture
def idp() -> Iterator[JwksServer]:
    with JwksServer().running() as server:
        yield server


def coach(**overrides: Any) -> dict[str, Any]:
    """A job coach of kymenlaakso-ngo as Keycloak issues the token (no `org`, no `role`)."""
    claims: dict[str, Any] = {
        "org": None, "role": None, "groups": ["/kymenlaakso/ngo", "/staff"],
        "realm_access": {"roles": ["offline_access", "polku-job-coach"]}}
    return provider_claims(**{**claims, **overrides})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def post_review(http: httpx.AsyncClient, token: str) -> httpx.Response:
    return await http.post("/fidelity-reviews", json={"item_scores": SCORES},
                           headers=bearer(token))


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged(key: SigningKey, claims: dict[str, Any], alg: str) -> str:
    """`alg: none`, or HS256 keyed with the public key's PEM."""
    header = b64(json.dumps({"alg": alg, "typ": "JWT", "kid": key.kid}).encode())
    body = b64(json.dumps(claims, default=lambda t: int(t.timestamp())).encode())
    if alg != "HS256":
        return f"{header}.{body}."
    mac = hmac.new(key.public_pem().encode(), f"{header}.{body}".encode(), hashlib.sha256)
    return f"{header}.{body}.{b64(mac.digest())}"


async def test_provider_tokens_over_http(
    database_url: str, kafka_bootstrap: str, idp: JwksServer
) -> None:
    key = SigningKey("2026-11")
    idp.publish(key)
    async with running_service(DEFINITION, database_url=database_url,
                               kafka_bootstrap=kafka_bootstrap, polku_jwt_jwks_url=idp.url,
                               polku_jwt_public_key=key.public_pem(),
                               **IDENTITY_PROVIDER) as svc, svc.client() as http:
        created = await post_review(http, key.sign(coach()))
        assert created.status_code == 201, created.text
        cases = {
            "wrong audience": key.sign(coach(aud="another-app")),
            "wrong issuer": key.sign(coach(iss="https://idp.example.fi/realms/other")),
            "expired": key.sign(coach(ttl=timedelta(seconds=-30))),
            "alg none": forged(key, coach(), "none"),
            "HS256 signed with the public key": forged(key, coach(), "HS256"),
            "unknown kid": SigningKey().sign(coach()),
            "two roles": key.sign(coach(realm_access={"roles": ["polku-nurse",
                                                                "polku-job-coach"]})),
            "no polku role": key.sign(coach(realm_access={"roles": ["offline_access"]})),
        }
        for case, token in cases.items():
            refused = await post_review(http, token)
            assert refused.status_code == 401, (case, refused.text)
            assert refused.headers["content-type"] == "application/problem+json", case
        for groups in (["/staff"], ["/nowhere"]):  # unmapped; mapped but not in the registry
            refused = await post_review(http, key.sign(coach(groups=groups)))
            assert refused.status_code == 403, (groups, refused.text)


async def test_a_rotated_key_is_accepted_without_restart(
    database_url: str, kafka_bootstrap: str, idp: JwksServer
) -> None:
    old, new = SigningKey("old"), SigningKey("new")
    idp.publish(old)
    async with running_service(DEFINITION, database_url=database_url,
                               kafka_bootstrap=kafka_bootstrap, polku_jwt_jwks_url=idp.url,
                               **IDENTITY_PROVIDER) as svc, svc.client() as http:
        assert (await post_review(http, old.sign(coach()))).status_code == 201
        idp.publish(old, new)
        await asyncio.sleep(1.1)  # the refresh interval of IDENTITY_PROVIDER
        rotated = await post_review(http, new.sign(coach()))
        assert rotated.status_code == 201, rotated.text
        idp.publish(new)  # the old key withdrawn; cached until the max age
        assert (await post_review(http, new.sign(coach()))).status_code == 201
        assert idp.requests == 2


async def test_a_slow_or_failing_provider_blocks_nothing_and_gives_401(
    database_url: str, kafka_bootstrap: str, idp: JwksServer
) -> None:
    key = SigningKey()
    idp.publish(key)
    idp.delay = 1.5
    async with running_service(DEFINITION, database_url=database_url,
                               kafka_bootstrap=kafka_bootstrap, polku_jwt_jwks_url=idp.url,
                               polku_jwt_jwks_timeout_seconds=1.0,
                               **IDENTITY_PROVIDER) as svc, svc.client() as http:
        waiting = asyncio.create_task(post_review(http, key.sign(coach())))
        await asyncio.sleep(0.2)  # the fetch is under way
        started = time.perf_counter()
        assert (await http.get("/healthz")).status_code == 200
        assert time.perf_counter() - started < 0.5  # the event loop was free meanwhile
        timed_out = await waiting
        assert timed_out.status_code == 401, timed_out.text
        assert "could not be fetched" in timed_out.json()["detail"]
        idp.delay, idp.status = 0.0, 503
        await asyncio.sleep(1.1)
        assert (await post_review(http, key.sign(coach()))).status_code == 401
        idp.status = 200
        await asyncio.sleep(1.1)
        assert (await post_review(http, key.sign(coach()))).status_code == 201
        metrics = (await http.get("/metrics")).text
        assert 'polku_jwks_fetches_total{outcome="error"}' in metrics


def test_the_token_claims_of_a_case_are_what_the_provider_would_issue() -> None:
    """Guard for the cases above: the good token really carries aud, iss and the groups."""
    claims = jwt.decode(SigningKey().sign(coach()), options={"verify_signature": False})
    assert claims["aud"] == AUDIENCE and claims["iss"] == ISSUER
    assert "org" not in claims and "role" not in claims
