"""Tokens (API.md, Common rules): lifetime, a UUID sub, no control characters, pinned algorithms,
and HS256 only where the settings allow it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given
from hypothesis import strategies as st

from services.runtime.errors import Unauthenticated
from services.runtime.http import TokenVerifier
from services.runtime.responses import status_of
from services.runtime.settings import DEV_JWT_SECRET, ServiceSettings
from services.runtime.token_claims import has_control_characters

SECRET = "unit-test-secret-at-least-32-bytes-long"
HOUR = 3600
PRO = str(uuid.uuid4())


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def public_pem(private_key: rsa.RSAPrivateKey) -> str:
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {"sub": PRO, "org": "kymenlaakso-sote", "role": "nurse",
                            "iat": now, "exp": now + HOUR}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def hs256(payload: dict[str, Any], secret: str = SECRET) -> str:
    return "Bearer " + jwt.encode(payload, secret, algorithm="HS256")


def verifier(max_lifetime: int = 12 * HOUR) -> TokenVerifier:
    return TokenVerifier(hs256_secret=SECRET, rs256_public_key=None, allow_hs256=True,
                         max_lifetime_seconds=max_lifetime)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def refused(authorization: str, by: TokenVerifier | None = None) -> str:
    with pytest.raises(Unauthenticated) as error:
        (by or verifier()).verify(authorization)
    assert status_of(error.value)[0] == 401
    return error.value.detail


# Lifetime.

def test_a_token_living_up_to_the_maximum_is_accepted() -> None:
    now = int(time.time())
    assert verifier().verify(hs256(claims(iat=now, exp=now + 12 * HOUR))).sub == PRO
    assert verifier().verify(hs256(claims(iat=None, exp=now + 11 * HOUR))).sub == PRO


@pytest.mark.parametrize("lifetime", [12 * HOUR + 1, 100 * 365 * 24 * HOUR])
def test_a_token_living_longer_than_the_maximum_is_refused(lifetime: int) -> None:
    now = int(time.time())
    detail = refused(hs256(claims(iat=now - 60, exp=now - 60 + lifetime)))
    assert "lifetime exceeds the maximum of 43200 s" in detail


def test_without_iat_the_lifetime_counts_from_now() -> None:
    now = int(time.time())
    assert "lifetime" in refused(hs256(claims(iat=None, exp=now + 13 * HOUR)))


def test_an_old_iat_cannot_stretch_a_token_whose_exp_is_far() -> None:
    now = int(time.time())
    assert "lifetime" in refused(hs256(claims(iat=now - 30 * 24 * HOUR, exp=now + HOUR)))


def test_the_maximum_is_the_configured_one() -> None:
    now = int(time.time())
    token = hs256(claims(iat=now, exp=now + 2 * HOUR))
    assert verifier(max_lifetime=2 * HOUR).verify(token).sub == PRO
    assert "maximum of 3600 s" in refused(token, verifier(max_lifetime=HOUR))
    settings = ServiceSettings(polku_jwt_secret=SECRET, polku_jwt_max_token_lifetime=HOUR)
    assert "maximum of 3600 s" in refused(token, TokenVerifier.from_settings(settings))


def test_an_exp_in_the_year_ten_to_the_hundred_is_a_401_not_a_crash() -> None:
    # PyJWT has no trouble with the huge int; our lifetime arithmetic must not overflow.
    assert "lifetime" in refused(hs256(claims(exp=10**100)))


# The subject.

@pytest.mark.parametrize("sub", ["pro-1", "", "0", "{" + PRO + "}", "urn:uuid:" + PRO,
                                 PRO.replace("-", ""), PRO + " ", PRO[:-1]])
def test_a_sub_that_is_not_a_uuid_is_refused(sub: str) -> None:
    assert "'sub'" in refused(hs256(claims(sub=sub)))


def test_a_sub_that_is_not_a_string_is_refused() -> None:
    # PyJWT refuses it already; the 401 is what matters.
    refused(hs256(claims(sub=12345)))


def test_an_upper_case_uuid_sub_is_accepted_and_recorded_canonically() -> None:
    assert verifier().verify(hs256(claims(sub=PRO.upper()))).sub == PRO


@pytest.mark.parametrize("name", ["org", "role"])
@pytest.mark.parametrize("value", ["", 7, ["kymenlaakso-sote"], None])
def test_org_and_role_must_be_non_empty_strings(name: str, value: Any) -> None:
    payload = claims()
    payload[name] = value
    refused(hs256(payload))


# Control characters.

@pytest.mark.parametrize("char", ["\x00", "\x07", "\n", "\r", "\t", "\x1b", "\x7f", "\x85",
                                  "\u2028", "\u2029", "\ud800"])
@pytest.mark.parametrize("claim", ["sub", "org", "role", "name", "email"])
def test_a_claim_with_a_control_character_is_refused(char: str, claim: str) -> None:
    base = claims()
    value = base.get(claim, "Maija Meikäläinen")
    payload = {**base, claim: value[:5] + char + value[5:]}
    # json.dumps writes a lone surrogate as \ud800, exactly as an attacker would.
    token = jwt.encode(payload, SECRET, algorithm="HS256",
                       json_encoder=json.JSONEncoder)
    assert "control characters" in refused("Bearer " + token)


def test_control_characters_are_found_in_nested_claims_and_names() -> None:
    assert "control characters" in refused(hs256(claims(groups=["ok", "x\x00y"])))
    assert "control characters" in refused(hs256(claims(extra={"k": {"n": "\x01"}})))
    assert "a claim name holds control characters" in refused(hs256({**claims(), "a\x00": 1}))


def test_printable_unicode_is_not_a_control_character() -> None:
    token = hs256(claims(name="Äijä Öhman-Ålander — 😀", org="kymenlaakso-sote"))
    assert verifier().verify(token).org == "kymenlaakso-sote"


@given(st.text(alphabet=st.characters(categories=["Cc"]), min_size=1),
       st.text(max_size=20), st.text(max_size=20))
def test_any_c0_or_c1_control_anywhere_is_found(control: str, before: str, after: str) -> None:
    assert has_control_characters(before + control + after)
    assert has_control_characters({"k": [before + control + after]})


# Algorithms.

@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE", ""])
def test_an_unsigned_token_is_refused(alg: str) -> None:
    token = ".".join([b64(json.dumps({"alg": alg, "typ": "JWT"}).encode()),
                      b64(json.dumps(claims()).encode()), ""])
    assert "not accepted" in refused("Bearer " + token)


def test_hs256_signed_with_the_rsa_public_key_as_secret_is_refused(public_pem: str) -> None:
    """Algorithm confusion: a forger who knows the public key HMACs the token with it."""
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims()).encode())
    mac = hmac.new(public_pem.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    forged = f"Bearer {header}.{body}.{b64(mac)}"
    production_like = TokenVerifier.from_settings(ServiceSettings(polku_jwt_public_key=public_pem))
    assert "not accepted" in refused(forged, production_like)
    # Even where HS256 is allowed, the key is the HS256 secret, never the public key.
    both = TokenVerifier.from_settings(ServiceSettings(
        polku_jwt_public_key=public_pem, polku_jwt_allow_hs256=True))
    assert "invalid token" in refused(forged, both)


def test_rs256_with_the_configured_key_is_accepted(
    private_key: rsa.RSAPrivateKey, public_pem: str
) -> None:
    verifier_ = TokenVerifier.from_settings(ServiceSettings(polku_jwt_public_key=public_pem))
    token = "Bearer " + jwt.encode(claims(), private_key, algorithm="RS256")
    assert verifier_.verify(token).sub == PRO


# When HS256 is allowed.

def test_hs256_is_refused_once_a_public_key_is_configured(public_pem: str) -> None:
    development_token = hs256(claims(), DEV_JWT_SECRET)
    settings = ServiceSettings(polku_jwt_secret=DEV_JWT_SECRET, polku_jwt_public_key=public_pem)
    assert settings.jwt_hs256_allowed() is False
    assert "not accepted" in refused(development_token, TokenVerifier.from_settings(settings))
    without_key = ServiceSettings(polku_jwt_secret=DEV_JWT_SECRET, polku_jwt_public_key=None)
    assert TokenVerifier.from_settings(without_key).verify(development_token).sub == PRO


@pytest.mark.parametrize(("environment", "explicit", "public_key", "allowed"), [
    ("development", None, False, True),
    ("development", None, True, False),
    ("development", True, True, True),
    ("development", False, False, False),
    ("production", None, False, False),
    ("production", None, True, False),
    ("production", True, False, True),
])
def test_hs256_allowed_defaults_by_environment_and_public_key(
    environment: str, explicit: bool | None, public_key: bool, allowed: bool, public_pem: str
) -> None:
    settings = ServiceSettings(polku_environment=environment, polku_jwt_allow_hs256=explicit,
                               polku_jwt_public_key=public_pem if public_key else None)
    assert settings.jwt_hs256_allowed() is allowed
    token = hs256(claims(), settings.polku_jwt_secret or "")
    verifier_ = TokenVerifier.from_settings(settings)
    if allowed:
        assert verifier_.verify(token).sub == PRO
    else:
        assert "not accepted" in refused(token, verifier_)
