"""A stand-in identity provider for tests: signing keys, a JWKS endpoint on loopback (a real
HTTP server on its own thread, whose document, status and delay a test changes), tokens."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

ISSUER = "https://idp.example.fi/realms/polku"
AUDIENCE = "polku-api"


class JwksServer:
    """Serves `document` at /certs; `status` other than 200 answers that status instead,
    `delay` seconds before answering. `requests` counts the fetches."""

    def __init__(self) -> None:
        self.document: dict[str, Any] = {"keys": []}
        self.status = 200
        self.delay = 0.0
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests += 1
                time.sleep(server.delay)
                body = json.dumps(server.document).encode()
                self.send_response(server.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}/certs"

    def publish(self, *keys: SigningKey) -> None:
        self.document = {"keys": [key.jwk() for key in keys]}

    @contextmanager
    def running(self) -> Iterator[JwksServer]:
        thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._http.shutdown()
            self._http.server_close()
            thread.join()


class SigningKey:
    """A provider's key pair with its `kid` (RSA, or EC P-256 for ES256)."""

    def __init__(self, kid: str | None = None, *, algorithm: str = "RS256") -> None:
        self.kid = kid or uuid.uuid4().hex[:12]
        self.algorithm = algorithm
        self.private: Any = (ec.generate_private_key(ec.SECP256R1()) if algorithm == "ES256"
                             else rsa.generate_private_key(public_exponent=65537,
                                                           key_size=2048))

    def jwk(self, **extra: Any) -> dict[str, Any]:
        public = self.private.public_key()
        converter = ECAlgorithm if self.algorithm == "ES256" else RSAAlgorithm
        jwk: dict[str, Any] = converter.to_jwk(public, as_dict=True)
        return {**jwk, "kid": self.kid, "use": "sig", "alg": self.algorithm, **extra}

    def public_pem(self) -> str:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    def sign(self, claims: dict[str, Any], *, kid: str | None = "own") -> str:
        headers = {"kid": self.kid if kid == "own" else kid} if kid is not None else {}
        return jwt.encode(claims, self.private, algorithm=self.algorithm, headers=headers)


def provider_claims(*, ttl: timedelta = timedelta(minutes=5), **overrides: Any) -> dict[str, Any]:
    """Claims as a provider issues them (with `aud` and `iss`), Polku's names by default;
    an override of None removes the claim."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": ISSUER, "aud": AUDIENCE, "sub": str(uuid.uuid4()), "org": "kymenlaakso-sote",
        "role": "nurse", "iat": now, "exp": now + ttl,
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}
