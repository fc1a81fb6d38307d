"""The checks a bearer token's claims pass after its signature (API.md, Common rules).

Each failure is an `Unauthenticated` (401) whose detail never echoes the claim's value: a
token is attacker-controlled text, and details end up in logs.
"""

from __future__ import annotations

import re
import time
import unicodedata
import uuid
from typing import Any

from services.runtime.errors import Unauthenticated

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Cc: C0 controls, DEL and C1 controls (a U+0000 leaves a gap in the audit log); Zl and Zp:
# line and paragraph separators, which split log lines; Cs: lone surrogates (`\ud800` in the
# JSON), which no UTF-8 encoder accepts.
_CONTROL_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


def has_control_characters(value: Any) -> bool:
    """Whether a claim value, or any string nested in it (keys too), holds a control character."""
    if isinstance(value, str):
        return any(unicodedata.category(char) in _CONTROL_CATEGORIES for char in value)
    if isinstance(value, list):
        return any(has_control_characters(item) for item in value)
    if isinstance(value, dict):
        return any(has_control_characters(k) or has_control_characters(v)
                   for k, v in value.items())
    return False


def lifetime_seconds(claims: dict[str, Any], now: float | None = None) -> int:
    """exp − iat, or exp − now for a token without iat. The signature check has already
    made sure both convert to int (PyJWT refuses the token otherwise); Python's ints do
    not overflow, so even an exp in the year 10^100 gives an answer."""
    issued = int(claims["iat"]) if "iat" in claims else int(time.time() if now is None else now)
    return int(claims["exp"]) - issued


def checked_identity(claims: dict[str, Any], *, max_lifetime: int,
                     now: float | None = None) -> tuple[str, str, str]:
    """(sub, org, role) of verified claims, or Unauthenticated naming what is wrong: a claim
    with control characters, a sub, org or role that is not a non-empty string, a sub that
    is not a UUID, a lifetime beyond `max_lifetime` seconds. sub is returned canonical."""
    for name, value in claims.items():
        if has_control_characters(name) or has_control_characters(value):
            shown = repr(name) if not has_control_characters(name) else "a claim name"
            raise Unauthenticated(f"invalid token: {shown} holds control characters")
    for name in ("sub", "org", "role"):
        if not isinstance(claims[name], str) or not claims[name]:
            raise Unauthenticated(f"invalid token: '{name}' must be a non-empty string")
    if not _UUID.fullmatch(claims["sub"]):
        raise Unauthenticated("invalid token: 'sub' must be a UUID (the professional's id)")
    lifetime = lifetime_seconds(claims, now)
    if lifetime > max_lifetime:
        raise Unauthenticated(
            f"token lifetime exceeds the maximum of {max_lifetime} s "
            "(POLKU_JWT_MAX_TOKEN_LIFETIME): get a shorter-lived token")
    return str(uuid.UUID(claims["sub"])), claims["org"], claims["role"]
