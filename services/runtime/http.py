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
from services.runtime.logging import IDENTITY_CODE, get_logger
from services.runtime.metrics import HTTP_LATENCY, HTTP_REQUESTS
from services.runtime.principal import Principal
from services.runtime.settings import ServiceSettings
from services.runtime.token_claims import checked_identity

log = get_logger(__name__)



class TokenVerifier:
    """Verifies bearer tokens: HS256 with the development secret, RS256 with public keys.

    `rs256_public_key` may hold several PEM public keys one after another (key rollover):
    a token is accepted if any of them verifies its signature. HS256 is accepted only when
    `allow_hs256` (the settings decide: `ServiceSettings.jwt_hs256_allowed`). The algorithm is
    pinned by the key that checks it, so `none` or an HS256 token "signed" with a public key
    never verifies. After the signature, token_claims checks lifetime, sub and control
    characters.
    """

    _PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----.+?-----END \1-----", re.DOTALL)

    def __init__(self, *, hs256_secret: str | None, rs256_public_key: str | None,
                 allow_hs256: bool, max_lifetime_seconds: int = 12 * 3600) -> None:
        self._max_lifetime = max_lifetime_seconds
        self._keys: list[tuple[str, Any]] = []
        if rs256_public_key:
            rsa = RSAAlgorithm(RSAAlgorithm.SHA256)
            for pem in self.split_pem_keys(rs256_public_key):
                try:
                    self._keys.append(("RS256", rsa.prepare_key(pem)))
                except (jwt.InvalidKeyError, ValueError, TypeError) as error:
                    raise ValueError(
                        "POLKU_JWT_PUBLIC_KEY must be one or more PEM RSA public keys"
                    ) from error
        if hs256_secret and allow_hs256:
            self._keys.append(("HS256", hs256_secret))

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> TokenVerifier:
        return cls(hs256_secret=settings.polku_jwt_secret,
                   rs256_public_key=settings.polku_jwt_public_key,
                   allow_hs256=settings.jwt_hs256_allowed(),
                   max_lifetime_seconds=settings.polku_jwt_max_token_lifetime)

    def verify(self, authorization: str | None) -> Principal:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise Unauthenticated("missing bearer token: send Authorization: Bearer <JWT>")
        token = authorization[7:].strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise Unauthenticated("malformed token") from error
        algorithm = header.get("alg")
        keys = [key for alg, key in self._keys if alg == algorithm]
        if not keys:
            raise Unauthenticated(f"token algorithm {algorithm!r} is not accepted")
        claims = self._decode(token, str(algorithm), keys)
        sub, org, role_code = checked_identity(claims, max_lifetime=self._max_lifetime)
        try:
            role = Role(role_code)
        except ValueError as error:
            raise Unauthenticated(f"unknown role {role_code!r} in token") from error
        return Principal(sub=sub, org=org, role=role)

    @classmethod
    def split_pem_keys(cls, value: str) -> list[str]:
        """The PEM blocks of a value holding one or more concatenated PEM keys; a value with
        no PEM armour is returned whole (the key loader then says what is wrong with it)."""
        blocks = [match.group(0) for match in cls._PEM_BLOCK.finditer(value)]
        return blocks or [value.strip()]

    @staticmethod
    def _decode(token: str, algorithm: str, keys: list[Any]) -> dict[str, Any]:
        """Claims of the token under the first key whose signature matches. Only a signature
        mismatch moves on to the next key: expiry and claim errors are checked after the
        signature, so they are final."""
        failure: jwt.PyJWTError | None = None
        for key in keys:
            try:
                claims: dict[str, Any] = jwt.decode(
                    token, key, algorithms=[algorithm],
                    options={"require": ["sub", "org", "role", "exp"]},
                )
                return claims
            except jwt.InvalidSignatureError as error:
                failure = error
            except jwt.ExpiredSignatureError as error:
                raise Unauthenticated("token expired: get a new one") from error
            except jwt.PyJWTError as error:
                raise Unauthenticated(f"invalid token: {error}") from error
        raise Unauthenticated(f"invalid token: {failure}") from failure


def issue_token(
    *, secret: str, org: str, role: str, sub: str, ttl: timedelta = timedelta(hours=8)
) -> str:
    """A development token signed with the HS256 secret (`polku token`)."""
    now = datetime.now(UTC)
    claims = {"sub": sub, "org": org, "role": role, "iat": now, "exp": now + ttl}
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
