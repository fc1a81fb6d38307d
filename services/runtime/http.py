"""HTTP plumbing shared by the services: JWT authentication, correlation ids, the command's
metadata (Idempotency-Key), observability. Outcomes and errors become responses in
responses.py, the one place that knows HTTP statuses.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from fastapi import Request
from jwt.algorithms import RSAAlgorithm
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response

from contracts.codes import Role
from services.runtime.application import CommandMeta
from services.runtime.errors import Unauthenticated, ValidationFailed
from services.runtime.jwks import JwksKeySet
from services.runtime.logging import IDENTITY_CODE, get_logger
from services.runtime.metrics import HTTP_LATENCY, HTTP_REQUESTS
from services.runtime.principal import Principal
from services.runtime.settings import ASYMMETRIC_JWT_ALGORITHMS, ServiceSettings
from services.runtime.token_claims import ClaimMapping, checked_identity

log = get_logger(__name__)



class TokenVerifier:
    """Verifies bearer tokens: HS256 with the development secret; the identity provider's
    tokens with its public keys (POLKU_JWT_PUBLIC_KEY, PEM) and its JWKS (POLKU_JWT_JWKS_URL).

    `rs256_public_key` may hold several PEM RSA public keys one after another (key rollover):
    a token is accepted if any of them verifies its signature. JWKS keys are looked up by the
    token's `kid` (jwks.py). HS256 is accepted only when `allow_hs256` (the settings decide:
    `ServiceSettings.jwt_hs256_allowed`), with the secret only; the public keys check only
    `algorithms` (asymmetric, RS256 by default). So `none`, or an HS256 token "signed" with a
    public key, never verifies. `issuers` and `audiences`, when given, must match `iss` and
    `aud`; without `audiences` a token's `aud` is not checked (and does not make it invalid).
    After the signature, token_claims checks lifetime, subject and control characters, and
    reads the organisation and role through `claims` (a ClaimMapping).
    """

    _PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----.+?-----END \1-----", re.DOTALL)

    def __init__(self, *, hs256_secret: str | None, rs256_public_key: str | None,
                 allow_hs256: bool, max_lifetime_seconds: int = 12 * 3600,
                 jwks: JwksKeySet | None = None, issuers: Sequence[str] = (),
                 audiences: Sequence[str] = (), algorithms: Sequence[str] = ("RS256",),
                 claims: ClaimMapping | None = None) -> None:
        self._max_lifetime = max_lifetime_seconds
        if not set(algorithms) <= set(ASYMMETRIC_JWT_ALGORITHMS):
            raise ValueError("POLKU_JWT_ALGORITHMS may name asymmetric algorithms only")
        self._algorithms = frozenset(algorithms)
        self._issuers = list(issuers)
        self._audiences = list(audiences)
        self._jwks = jwks
        self._claims = claims or ClaimMapping()
        self._public_keys = [self._load_rsa(pem) for pem in
                             self.split_pem_keys(rs256_public_key or "") if rs256_public_key]
        self._hs256_secret = hs256_secret if hs256_secret and allow_hs256 else None

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> TokenVerifier:
        jwks = None
        if settings.polku_jwt_jwks_url:
            jwks = JwksKeySet(settings.polku_jwt_jwks_url,
                              algorithms=settings.jwt_algorithms(),
                              refresh_seconds=settings.polku_jwt_jwks_refresh_seconds,
                              max_age_seconds=settings.polku_jwt_jwks_max_age_seconds,
                              timeout_seconds=settings.polku_jwt_jwks_timeout_seconds)
        claims = ClaimMapping(subject_claim=settings.polku_jwt_subject_claim,
                              org_claim=settings.polku_jwt_org_claim,
                              role_claim=settings.polku_jwt_role_claim,
                              org_map=settings.polku_jwt_org_map,
                              role_map=settings.polku_jwt_role_map)
        return cls(hs256_secret=settings.polku_jwt_secret,
                   rs256_public_key=settings.polku_jwt_public_key,
                   allow_hs256=settings.jwt_hs256_allowed(),
                   max_lifetime_seconds=settings.polku_jwt_max_token_lifetime,
                   jwks=jwks, issuers=settings.jwt_issuers(),
                   audiences=settings.jwt_audiences(),
                   algorithms=settings.jwt_algorithms(), claims=claims)

    def verify(self, authorization: str | None) -> Principal:
        """The principal of an `Authorization: Bearer` value, or Unauthenticated (401) — or
        NotAuthorised (403) for an organisation claim that POLKU_JWT_ORG_MAP does not map.
        May fetch the JWKS (blocking, with a timeout): call it from a worker thread."""
        if not authorization or not authorization.lower().startswith("bearer "):
            raise Unauthenticated("missing bearer token: send Authorization: Bearer <JWT>")
        token = authorization[7:].strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise Unauthenticated("malformed token") from error
        algorithm, kid = header.get("alg"), header.get("kid")
        if not isinstance(algorithm, str) or not isinstance(kid, str | None):
            raise Unauthenticated("malformed token: 'alg' and 'kid' must be strings")
        keys = self._keys_for(algorithm, kid)
        claims = self._decode(token, algorithm, keys)
        sub, org, role_code = checked_identity(claims, max_lifetime=self._max_lifetime,
                                               mapping=self._claims)
        return Principal(sub=sub, org=org, role=Role(role_code))

    def _keys_for(self, algorithm: str, kid: str | None) -> list[Any]:
        """The keys that may check a token signed with `algorithm`: the secret for HS256
        (when allowed), else the public keys and the JWKS keys of the token's `kid`."""
        if algorithm == "HS256" and self._hs256_secret:
            return [self._hs256_secret]
        if algorithm not in self._algorithms:
            raise Unauthenticated(f"token algorithm {algorithm!r} is not accepted")
        keys = [key for key in self._public_keys if algorithm[:2] in ("RS", "PS")]
        if self._jwks is not None:
            try:
                keys += self._jwks.keys_for(kid, algorithm)
            except Unauthenticated:
                if not keys:
                    raise
        if not keys:
            raise Unauthenticated(f"token algorithm {algorithm!r} is not accepted")
        return keys

    @staticmethod
    def _load_rsa(pem: str) -> Any:
        try:
            return RSAAlgorithm(RSAAlgorithm.SHA256).prepare_key(pem)
        except (jwt.InvalidKeyError, ValueError, TypeError) as error:
            raise ValueError(
                "POLKU_JWT_PUBLIC_KEY must be one or more PEM RSA public keys"
            ) from error

    @classmethod
    def split_pem_keys(cls, value: str) -> list[str]:
        """The PEM blocks of a value holding one or more concatenated PEM keys; a value with
        no PEM armour is returned whole (the key loader then says what is wrong with it)."""
        blocks = [match.group(0) for match in cls._PEM_BLOCK.finditer(value)]
        return blocks or [value.strip()]

    def _decode(self, token: str, algorithm: str, keys: list[Any]) -> dict[str, Any]:
        """Claims of the token under the first key whose signature matches. Only a signature
        mismatch moves on to the next key: expiry and claim errors are checked after the
        signature, so they are final."""
        required = ["exp"] + (["iss"] if self._issuers else []) + (
            ["aud"] if self._audiences else [])
        failure: jwt.PyJWTError | None = None
        for key in keys:
            try:
                claims: dict[str, Any] = jwt.decode(
                    token, key, algorithms=[algorithm],
                    audience=self._audiences or None, issuer=self._issuers or None,
                    options={"require": required, "verify_aud": bool(self._audiences)},
                )
                return claims
            except jwt.InvalidSignatureError as error:
                failure = error
            except jwt.ExpiredSignatureError as error:
                raise Unauthenticated("token expired: get a new one") from error
            except jwt.PyJWTError as error:
                raise Unauthenticated(f"invalid token: {error}") from error
            except (ValueError, TypeError) as error:  # a key unfit for the algorithm
                raise Unauthenticated("invalid token: its key does not fit its algorithm"
                                      ) from error
        raise Unauthenticated(f"invalid token: {failure}") from failure


def issue_token(
    *, secret: str, org: str, role: str, sub: str, ttl: timedelta = timedelta(hours=8),
    issuer: str | None = None, audience: str | None = None,
) -> str:
    """A development token signed with the HS256 secret (`polku token`); with the configured
    issuer and audience when there are (POLKU_JWT_ISSUER / POLKU_JWT_AUDIENCE)."""
    now = datetime.now(UTC)
    claims: dict[str, object] = {"sub": sub, "org": org, "role": role, "iat": now,
                                 "exp": now + ttl}
    if issuer:
        claims["iss"] = issuer
    if audience:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm="HS256")


# API.md: a correlation id is a UUID or 1–64 characters of [A-Za-z0-9._-]; anything else
# (a name, a line break, an identity code though its characters pass) is replaced, so it
# never reaches an event or a log line.
_CORRELATION_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def valid_correlation_id(value: str | None) -> str | None:
    """The value as a correlation id, or None when it is not one (a UUID in another spelling,
    such as `urn:uuid:…` or braces, is given in its canonical form)."""
    if value is None or IDENTITY_CODE.search(value):
        return None  # an identity code has the right characters, and must still never pass
    if _CORRELATION_ID.fullmatch(value):
        return value
    if len(value) <= 45:
        try:
            return str(uuid.UUID(value))
        except ValueError:
            return None
    return None


def correlation_id_of(request: Request) -> str:
    """The first valid of X-Correlation-Id and X-Request-Id, else a new id."""
    for header in ("X-Correlation-Id", "X-Request-Id"):
        found = valid_correlation_id(request.headers.get(header))
        if found is not None:
            return found
    return str(uuid.uuid4())


class ObservabilityMiddleware(BaseHTTPMiddleware):
    """Binds the correlation id to the log context; counts requests and their latency."""

    def __init__(self, app: Any, service: str) -> None:
        super().__init__(app)
        self.service = service

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        import structlog

        correlation_id = correlation_id_of(request)
        request.state.correlation_id = correlation_id
        started = time.perf_counter()
        with structlog.contextvars.bound_contextvars(correlation_id=correlation_id):
            response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        HTTP_REQUESTS.labels(self.service, request.method, path, str(response.status_code)).inc()
        HTTP_LATENCY.labels(self.service, request.method, path).observe(
            time.perf_counter() - started
        )
        response.headers["X-Correlation-Id"] = correlation_id
        return response


def request_hash(method: str, path: str, body: bytes, key: bytes) -> str:
    """A keyed digest of the request: bodies may carry identity codes, whose small space a
    plain hash would not protect."""
    return hmac.new(key, method.encode() + b" " + path.encode() + b"\n" + body,
                    hashlib.sha256).hexdigest()


async def command_meta(request: Request, principal: Principal) -> CommandMeta:
    """Correlation id and Idempotency-Key of the current request, as the bus takes them."""
    key = request.headers.get("Idempotency-Key")
    digest = None
    if key is not None:
        if not 1 <= len(key) <= 200:
            raise ValidationFailed("Idempotency-Key", "must be 1 to 200 characters")
        secret = request.app.state.ctx.settings.polku_client_id_key.encode()
        digest = request_hash(request.method, request.url.path, await request.body(), secret)
    return CommandMeta(
        principal=principal,
        correlation_id=getattr(request.state, "correlation_id", None) or str(uuid.uuid4()),
        idempotency_key=key,
        request_hash=digest,
    )
