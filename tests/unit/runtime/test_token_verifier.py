"""JWT key rollover: POLKU_JWT_PUBLIC_KEY may hold several PEM public keys at once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from contracts.codes import Role
from services.runtime.errors import Unauthenticated
from services.runtime.http import TokenVerifier
from services.runtime.responses import status_of

ROLE = next(iter(Role)).value
PRO, BY_OLD, BY_NEW = (str(uuid.uuid4()) for _ in range(3))


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def bearer(key: Any, *, algorithm: str = "RS256", ttl: timedelta = timedelta(minutes=5),
           sub: str = PRO) -> str:
    now = datetime.now(UTC)
    claims = {"sub": sub, "org": "kymenlaakso-sote", "role": ROLE, "iat": now, "exp": now + ttl}
    return "Bearer " + jwt.encode(claims, key, algorithm=algorithm)


@pytest.fixture(scope="module")
def keys() -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
    return rsa_key(), rsa_key(), rsa_key()


@pytest.fixture(scope="module")
def verifier(keys: tuple[rsa.RSAPrivateKey, ...]) -> TokenVerifier:
    old, new, _ = keys
    # As an operator pastes them: concatenated, with blank lines and surrounding whitespace.
    both = "\n" + public_pem(old) + "\n\n" + public_pem(new) + "\n"
    return TokenVerifier(hs256_secret=None, rs256_public_key=both, allow_hs256=False)


def test_tokens_signed_by_either_published_key_verify(
    keys: tuple[rsa.RSAPrivateKey, ...], verifier: TokenVerifier
) -> None:
    old, new, _ = keys
    assert verifier.verify(bearer(old, sub=BY_OLD)).sub == BY_OLD
    principal = verifier.verify(bearer(new, sub=BY_NEW))
    assert (principal.sub, principal.org, principal.role.value) == (
        BY_NEW, "kymenlaakso-sote", ROLE)


def test_token_signed_by_an_unpublished_key_is_refused(
    keys: tuple[rsa.RSAPrivateKey, ...], verifier: TokenVerifier
) -> None:
    with pytest.raises(Unauthenticated) as refused:
        verifier.verify(bearer(keys[2]))
    assert status_of(refused.value)[0] == 401
    assert "invalid token" in refused.value.detail


@pytest.mark.parametrize("signer", [0, 1])
def test_expired_token_is_refused_whichever_key_signed_it(
    keys: tuple[rsa.RSAPrivateKey, ...], verifier: TokenVerifier, signer: int
) -> None:
    with pytest.raises(Unauthenticated) as refused:
        verifier.verify(bearer(keys[signer], ttl=timedelta(minutes=-1)))
    assert status_of(refused.value)[0] == 401
    assert "expired" in refused.value.detail


def test_a_single_key_still_works_and_the_dropped_key_fails(
    keys: tuple[rsa.RSAPrivateKey, ...],
) -> None:
    old, new, _ = keys
    after_rollover = TokenVerifier(hs256_secret=None, rs256_public_key=public_pem(new),
                                   allow_hs256=False)
    assert after_rollover.verify(bearer(new)).sub == PRO
    with pytest.raises(Unauthenticated):
        after_rollover.verify(bearer(old))


def test_hs256_token_is_not_checked_against_the_rsa_keys(
    keys: tuple[rsa.RSAPrivateKey, ...], verifier: TokenVerifier
) -> None:
    # Algorithm confusion: an HS256 token "signed" with the public PEM must not verify.
    with pytest.raises(Unauthenticated, match="not accepted"):
        verifier.verify(bearer("x" * 32, algorithm="HS256"))
    secret = "s" * 32
    both = TokenVerifier(hs256_secret=secret,  # POLKU_JWT_ALLOW_HS256=true, explicitly
                         rs256_public_key=public_pem(keys[0]) + public_pem(keys[1]),
                         allow_hs256=True)
    assert both.verify(bearer(secret, algorithm="HS256")).sub == PRO
    assert both.verify(bearer(keys[1])).sub == PRO


def test_a_key_that_is_not_an_rsa_public_key_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="POLKU_JWT_PUBLIC_KEY"):
        TokenVerifier(hs256_secret=None, rs256_public_key="not a key", allow_hs256=False)
    with pytest.raises(ValueError, match="POLKU_JWT_PUBLIC_KEY"):
        TokenVerifier(hs256_secret=None, allow_hs256=False,
                      rs256_public_key="-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")
