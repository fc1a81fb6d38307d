"""The identity provider's signing keys from its JWKS URL: fetched, cached, refetched when a
token names an unknown `kid` or the keys are older than their maximum age — at most one fetch
per refresh interval, whatever asks for it.

A fetch is a blocking HTTP call with a timeout: `TokenVerifier.verify` runs in FastAPI's
thread pool (the `authenticate` dependencies are plain functions), never on the event loop.
A failed fetch is logged and counted (`polku_jwks_fetches_total{outcome="error"}`); the
cached keys stay in use, and a token whose key is not among them is a 401, never a 500.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from services.runtime.errors import Unauthenticated
from services.runtime.logging import get_logger
from services.runtime.metrics import JWKS_FETCHES, JWKS_KEYS

log = get_logger(__name__)

MAX_JWKS_BYTES = 1024 * 1024


@dataclass(frozen=True)
class SigningKey:
    """One verification key of the provider, with the algorithms it may check."""

    kid: str | None
    kty: str
    algorithm: str | None  # the JWK's `alg` when it names one
    key: Any

    def verifies(self, algorithm: str) -> bool:
        """Whether a token signed with `algorithm` may be checked with this key: the JWK's
        own `alg` when it has one, else any algorithm of the key's family."""
        if self.algorithm is not None:
            return algorithm == self.algorithm
        if self.kty == "RSA":
            return algorithm[:2] in ("RS", "PS")
        if self.kty == "EC":
            return algorithm == _EC_ALGORITHM.get(getattr(self.key.curve, "name", ""))
        return False


_EC_ALGORITHM = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}


def parse_jwks(document: Any, algorithms: Sequence[str]) -> tuple[SigningKey, ...]:
    """The usable signature keys of a JWKS document. Symmetric (`oct`) keys, encryption keys
    (`use: enc`), keys for algorithms not allowed and keys PyJWT cannot load are skipped: a
    JWKS is public, so a symmetric key in it would let anyone sign."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS document: no 'keys' list")
    keys = []
    for jwk in document["keys"]:
        if not isinstance(jwk, dict) or jwk.get("kty") not in ("RSA", "EC"):
            continue
        if jwk.get("use", "sig") != "sig" or jwk.get("alg", algorithms[0]) not in algorithms:
            continue
        try:
            loaded = jwt.PyJWK(jwk)
        except (jwt.PyJWTError, ValueError, TypeError, KeyError):
            continue
        kid = jwk.get("kid")
        keys.append(SigningKey(kid=kid if isinstance(kid, str) else None, kty=jwk["kty"],
                               algorithm=jwk.get("alg"), key=loaded.key))
    return tuple(keys)


class JwksKeySet:
    """The keys of one JWKS URL, cached; thread-safe (verification runs in worker threads)."""

    def __init__(self, url: str, *, algorithms: Sequence[str], refresh_seconds: float = 60.0,
                 max_age_seconds: float = 3600.0, timeout_seconds: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self._algorithms = tuple(algorithms)
        self._refresh = refresh_seconds
        self._max_age = max_age_seconds
        self._timeout = timeout_seconds
        self._clock = clock
        self._keys: tuple[SigningKey, ...] = ()
        self._fetched_at: float | None = None  # last successful fetch
        self._attempted_at: float | None = None  # last fetch, successful or not
        self._generation = 0  # successful fetches so far
        self._lock = threading.Lock()

    def keys_for(self, kid: str | None, algorithm: str) -> list[Any]:
        """The keys that may verify a token with this `kid` (None: every key) and algorithm;
        Unauthenticated when there is none, after a refetch if one is allowed now."""
        if self._stale():
            self._fetch_if_due(wait=self._fetched_at is None)
        found = self._matching(kid, algorithm)
        if not found and kid is not None:
            # A rotated key: the provider publishes the new key before signing with it.
            self._fetch_if_due(wait=True)
            found = self._matching(kid, algorithm)
        if found:
            return found
        if self._fetched_at is None:
            raise Unauthenticated("the identity provider's signing keys (POLKU_JWT_JWKS_URL) "
                                  "could not be fetched: try again shortly")
        raise Unauthenticated("invalid token: signed with a key the identity provider does "
                              "not publish")

    def _stale(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at > self._max_age

    def _matching(self, kid: str | None, algorithm: str) -> list[Any]:
        return [key.key for key in self._keys
                if (kid is None or key.kid == kid) and key.verifies(algorithm)]

    def _fetch_if_due(self, *, wait: bool) -> None:
        """Fetch unless another fetch ran less than the refresh interval ago. With `wait`,
        wait for a fetch under way (then use its keys); without, leave it to that thread."""
        generation = self._generation
        if not self._lock.acquire(timeout=self._timeout + 1 if wait else 0):
            return
        try:
            if self._generation != generation:
                return  # another thread fetched while this one waited
            now = self._clock()
            if self._attempted_at is not None and now - self._attempted_at < self._refresh:
                return
            self._attempted_at = now
            self._fetch()
        finally:
            self._lock.release()

    def _fetch(self) -> None:
        try:
            keys = parse_jwks(self._download(), self._algorithms)
        except Exception as error:  # any failure is a 401 for the token, never a 500
            JWKS_FETCHES.labels("error").inc()
            log.warning("jwt.jwks_fetch_failed", url=self.url, error=type(error).__name__,
                        reason=str(error)[:200], cached_keys=len(self._keys))
            return
        self._keys = keys
        self._fetched_at = self._clock()
        self._generation += 1
        JWKS_FETCHES.labels("ok").inc()
        JWKS_KEYS.set(len(keys))
        log.info("jwt.jwks_fetched", url=self.url, keys=len(keys),
                 kids=[key.kid for key in keys])

    def _download(self) -> Any:
        with httpx.Client(timeout=self._timeout, follow_redirects=False) as client, \
                client.stream("GET", self.url, headers={"Accept": "application/json"}) as reply:
            reply.raise_for_status()
            body = b""
            for chunk in reply.iter_bytes():
                body += chunk
                if len(body) > MAX_JWKS_BYTES:
                    raise ValueError(f"JWKS larger than {MAX_JWKS_BYTES} bytes")
        return json.loads(body)
