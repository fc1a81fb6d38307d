"""The verifier against an identity provider's JWKS endpoint (a real HTTP server on
loopback): aud and iss, key rotation without restart, the refresh rate limit, pinned
algorithms, and fetch failures that are 401s, never 500s."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import jwt
import pytest

from services.runtime.errors import Unauthenticated
from services.runtime.http import TokenVerifier
from services.runtime.jwks import JwksKeySet, parse_jwks
from services.runtime.metrics import REGISTRY
from services.runtime.responses import status_of
from services.runtime.settings import ServiceSettings
from services.runtime.token_claims import ClaimMapping
from tests.support.identity_provider import (
    AUDIENCE,
    ISSUER,
    JwksServer,
    SigningKey,
    provider_claims,
)


class Clock:
    """A monotonic clock the test moves on."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def idp() -> Iterator[JwksServer]:
    with JwksServer().running() as server:
        yield server


@pytest.fixture
def clock() -> Clock:
    return Clock()


def verifier_for(server: JwksServer, clock: Clock, *, audiences: tuple[str, ...] = (AUDIENCE,),
                 algorithms: tuple[str, ...] = ("RS256",), public_pem: str | None = None,
                 claims: ClaimMapping | None = None, max_age: float = 3600.0) -> TokenVerifier:
    keys = JwksKeySet(server.url, algorithms=algorithms, refresh_seconds=60.0,
                      max_age_seconds=max_age, timeout_seconds=2.0, clock=clock)
    return TokenVerifier(hs256_secret=None, rs256_public_key=public_pem, allow_hs256=False,
                         jwks=keys, issuers=(ISSUER,), audiences=audiences,
                         algorithms=algorithms, claims=claims)


def refused(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(Unauthenticated) as error:
        verifier.verify("Bearer " + token)
    assert status_of(error.value)[0] == 401
    return error.value.detail


def fetch_errors() -> float:
    return REGISTRY.get_sample_value("polku_jwks_fetches_total", {"outcome": "error"}) or 0.0


def test_a_provider_token_with_aud_and_iss_is_accepted(idp: JwksServer, clock: Clock) -> None:
    key = SigningKey()
    idp.publish(key)
    claims = provider_claims()
    principal = verifier_for(idp, clock).verify("Bearer " + key.sign(claims))
    assert (principal.sub, principal.org, principal.role.value) == (
        claims["sub"], "kymenlaakso-sote", "nurse")
    assert idp.requests == 1


def test_keys_are_cached_between_tokens(idp: JwksServer, clock: Clock) -> None:
    key = SigningKey()
    idp.publish(key)
    verifier = verifier_for(idp, clock)
    for _ in range(5):
        verifier.verify("Bearer " + key.sign(provider_claims()))
    assert idp.requests == 1


def test_a_rotated_key_is_picked_up_without_restart(idp: JwksServer, clock: Clock) -> None:
    old, new = SigningKey("old"), SigningKey("new")
    idp.publish(old)
    verifier = verifier_for(idp, clock)
    verifier.verify("Bearer " + old.sign(provider_claims()))
    clock.now += 61  # past the refresh interval since the first fetch
    idp.publish(old, new)
    assert verifier.verify("Bearer " + new.sign(provider_claims())).org == "kymenlaakso-sote"
    assert verifier.verify("Bearer " + old.sign(provider_claims())).role.value == "nurse"
    assert idp.requests == 2


def test_an_unknown_kid_refetches_at_most_once_per_interval(
    idp: JwksServer, clock: Clock
) -> None:
    old, new = SigningKey("old"), SigningKey("new")
    idp.publish(old)
    verifier = verifier_for(idp, clock)
    verifier.verify("Bearer " + old.sign(provider_claims()))
    clock.now += 10  # within the 60 s interval of the first fetch
    idp.publish(old, new)
    for _ in range(20):  # random kids of a prober, or the new key too early
        assert "does not publish" in refused(verifier, new.sign(provider_claims()))
    assert idp.requests == 1
    clock.now += 51
    assert verifier.verify("Bearer " + new.sign(provider_claims())).role.value == "nurse"
    assert idp.requests == 2
    assert "does not publish" in refused(verifier, SigningKey().sign(provider_claims()))
    assert idp.requests == 2  # that unknown kid came within the interval again


def test_concurrent_tokens_with_an_unknown_kid_fetch_once(idp: JwksServer, clock: Clock) -> None:
    key = SigningKey()
    idp.publish(key)
    idp.delay = 0.3
    verifier = verifier_for(idp, clock)
    token = "Bearer " + key.sign(provider_claims())
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(verifier.verify(token).org))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["kymenlaakso-sote"] * 8
    assert idp.requests == 1


def test_wrong_audience_wrong_issuer_and_missing_aud_are_refused(
    idp: JwksServer, clock: Clock
) -> None:
    key = SigningKey()
    idp.publish(key)
    verifier = verifier_for(idp, clock)
    assert "audience" in refused(verifier, key.sign(provider_claims(aud="another-app"))).lower()
    assert "issuer" in refused(verifier, key.sign(provider_claims(iss="https://evil.example")
                                                  )).lower()
    assert '"aud"' in refused(verifier, key.sign(provider_claims(aud=None)))
    assert '"iss"' in refused(verifier, key.sign(provider_claims(iss=None)))
    # One of several accepted audiences; aud may be a list (OIDC).
    several = verifier_for(idp, clock, audiences=("other", AUDIENCE))
    token = key.sign(provider_claims(aud=["account", AUDIENCE]))
    assert several.verify("Bearer " + token).role.value == "nurse"


def test_without_a_configured_audience_a_token_carrying_aud_is_accepted(
    idp: JwksServer, clock: Clock
) -> None:
    key = SigningKey()
    idp.publish(key)
    verifier = verifier_for(idp, clock, audiences=())
    assert verifier.verify("Bearer " + key.sign(provider_claims(aud="anything"))).org


def test_expired_tokens_are_refused(idp: JwksServer, clock: Clock) -> None:
    key = SigningKey()
    idp.publish(key)
    detail = refused(verifier_for(idp, clock),
                     key.sign(provider_claims(ttl=timedelta(minutes=-1))))
    assert "expired" in detail


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> tuple[str, str]:
    return b64(json.dumps(header).encode()), b64(json.dumps(claims, default=str).encode())


@pytest.mark.parametrize("alg", ["none", "None", "NONE", ""])
def test_alg_none_is_refused(idp: JwksServer, clock: Clock, alg: str) -> None:
    key = SigningKey()
    idp.publish(key)
    claims = jwt.decode(key.sign(provider_claims()), options={"verify_signature": False})
    header, body = unsigned({"alg": alg, "kid": key.kid}, claims)
    assert "not accepted" in refused(verifier_for(idp, clock), f"{header}.{body}.")


def test_hs256_signed_with_the_public_key_is_refused(idp: JwksServer, clock: Clock) -> None:
    """Algorithm confusion: the forger HMACs with the PEM or with the JWK's JSON."""
    key = SigningKey()
    idp.publish(key)
    claims = jwt.decode(key.sign(provider_claims()), options={"verify_signature": False})
    verifier = verifier_for(idp, clock, public_pem=key.public_pem())
    for secret in (key.public_pem().encode(), json.dumps(key.jwk()).encode()):
        header, body = unsigned({"alg": "HS256", "typ": "JWT", "kid": key.kid}, claims)
        mac = hmac.new(secret, f"{header}.{body}".encode(), hashlib.sha256).digest()
        assert "not accepted" in refused(verifier, f"{header}.{body}.{b64(mac)}")


def test_a_token_signed_by_another_key_under_a_published_kid_is_refused(
    idp: JwksServer, clock: Clock
) -> None:
    published, forger = SigningKey("k1"), SigningKey("k1")
    idp.publish(published)
    assert "Signature verification failed" in refused(
        verifier_for(idp, clock), forger.sign(provider_claims()))


def test_es256_only_when_configured(idp: JwksServer, clock: Clock) -> None:
    key = SigningKey(algorithm="ES256")
    idp.publish(key)
    token = key.sign(provider_claims())
    assert "not accepted" in refused(verifier_for(idp, clock), token)
    both = verifier_for(idp, clock, algorithms=("RS256", "ES256"))
    assert both.verify("Bearer " + token).role.value == "nurse"


def test_a_provider_that_cannot_be_reached_gives_401_and_is_counted(clock: Clock) -> None:
    server = JwksServer()  # never started: its socket listens, nobody answers (timeout)
    key = SigningKey()
    before = fetch_errors()
    detail = refused(verifier_for(server, clock), key.sign(provider_claims()))
    assert "could not be fetched" in detail
    assert fetch_errors() == before + 1


@pytest.mark.parametrize("status", [404, 500, 503])
def test_an_error_answer_or_a_broken_document_is_a_401(
    idp: JwksServer, clock: Clock, status: int
) -> None:
    key = SigningKey()
    idp.publish(key)
    idp.status = status
    assert "could not be fetched" in refused(verifier_for(idp, clock), key.sign(provider_claims()))
    idp.status = 200
    idp.document = {"not": "a jwks"}
    before = fetch_errors()
    clock.now += 61
    assert "could not be fetched" in refused(verifier_for(idp, clock), key.sign(provider_claims()))
    assert fetch_errors() == before + 1


def test_cached_keys_outlive_an_outage_and_expire_with_their_max_age(
    idp: JwksServer, clock: Clock
) -> None:
    kept, withdrawn = SigningKey("kept"), SigningKey("withdrawn")
    idp.publish(kept, withdrawn)
    verifier = verifier_for(idp, clock, max_age=600.0)
    verifier.verify("Bearer " + withdrawn.sign(provider_claims()))
    idp.status = 503
    clock.now += 601  # stale, and the provider is down: the cached keys stay in use
    assert verifier.verify("Bearer " + withdrawn.sign(provider_claims())).org
    assert idp.requests == 2
    idp.status = 200
    idp.publish(kept)  # the provider withdrew a key
    clock.now += 61
    assert verifier.verify("Bearer " + kept.sign(provider_claims())).org
    assert idp.requests == 3
    assert "does not publish" in refused(verifier, withdrawn.sign(provider_claims()))


def test_the_public_key_and_the_jwks_work_side_by_side(idp: JwksServer, clock: Clock) -> None:
    static, published = SigningKey("static"), SigningKey("published")
    idp.publish(published)
    verifier = verifier_for(idp, clock, public_pem=static.public_pem())
    assert verifier.verify("Bearer " + static.sign(provider_claims(), kid=None)).org
    assert verifier.verify("Bearer " + published.sign(provider_claims())).org


def test_a_token_without_kid_is_tried_against_every_published_key(
    idp: JwksServer, clock: Clock
) -> None:
    first, second = SigningKey(), SigningKey()
    idp.publish(first, second)
    assert verifier_for(idp, clock).verify(
        "Bearer " + second.sign(provider_claims(), kid=None)).org


def test_symmetric_encryption_and_foreign_algorithm_keys_are_not_used() -> None:
    rsa_key, ec_key = SigningKey("sig"), SigningKey("ec", algorithm="ES256")
    document = {"keys": [
        {"kty": "oct", "kid": "oct", "k": b64(b"public secret"), "alg": "HS256"},
        rsa_key.jwk(kid="enc", use="enc"),
        rsa_key.jwk(kid="rs512", alg="RS512"),
        {"kty": "RSA", "kid": "broken", "n": "x"},
        rsa_key.jwk(),
        ec_key.jwk(),
    ]}
    assert [key.kid for key in parse_jwks(document, ("RS256",))] == ["sig"]
    assert [key.kid for key in parse_jwks(document, ("RS256", "ES256"))] == ["sig", "ec"]


def test_settings_build_the_jwks_verifier_and_turn_hs256_off(idp: JwksServer) -> None:
    key = SigningKey()
    idp.publish(key)
    settings = ServiceSettings(polku_jwt_jwks_url=idp.url, polku_jwt_issuer=ISSUER,
                               polku_jwt_audience=f"other, {AUDIENCE}")
    assert settings.jwt_hs256_allowed() is False
    verifier = TokenVerifier.from_settings(settings)
    assert verifier.verify("Bearer " + key.sign(provider_claims())).role.value == "nurse"
    development = jwt.encode(provider_claims(), settings.polku_jwt_secret or "",
                             algorithm="HS256")
    assert "not accepted" in refused(verifier, development)


def test_a_kid_that_is_not_a_string_is_a_401_before_any_fetch(
    idp: JwksServer, clock: Clock
) -> None:
    key = SigningKey()
    idp.publish(key)
    claims = jwt.decode(key.sign(provider_claims()), options={"verify_signature": False})
    for kid in (7, ["a"], {"k": 1}):  # PyJWT would not write these: by hand
        header, body = unsigned({"alg": "RS256", "kid": kid}, claims)
        assert "malformed" in refused(verifier_for(idp, clock), f"{header}.{body}.c2ln")
    assert idp.requests == 0
