"""The checks a bearer token's claims pass after its signature (API.md, Common rules).

Each failure is an `Unauthenticated` (401) whose detail never echoes the claim's value: a
token is attacker-controlled text, and details end up in logs. `ClaimMapping` reads the
organisation and role from the identity provider's claims (configurable names, nested paths,
group → organisation / role maps); an organisation none of whose values map is a 403.
"""

from __future__ import annotations

import re
import time
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contracts.codes import Role
from services.runtime.errors import NotAuthorised, Unauthenticated

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
                     mapping: ClaimMapping | None = None,
                     now: float | None = None) -> tuple[str, str, str]:
    """(sub, org, role) of verified claims, or Unauthenticated naming what is wrong: a claim
    with control characters, a missing subject, organisation or role claim, a subject that is
    not a UUID string, a lifetime beyond `max_lifetime` seconds; the organisation and role as
    `mapping` reads them (`ClaimMapping.organisation`, `ClaimMapping.role`). sub is returned
    canonical."""
    mapping = mapping or ClaimMapping()
    for name, value in claims.items():
        if has_control_characters(name) or has_control_characters(value):
            shown = repr(name) if not has_control_characters(name) else "a claim name"
            raise Unauthenticated(f"invalid token: {shown} holds control characters")
    subject = claim_at(claims, mapping.subject_claim)
    if not isinstance(subject, str) or not _UUID.fullmatch(subject):
        raise Unauthenticated(f"invalid token: '{mapping.subject_claim}' must be a UUID "
                              "(the professional's id)")
    lifetime = lifetime_seconds(claims, now)
    if lifetime > max_lifetime:
        raise Unauthenticated(
            f"token lifetime exceeds the maximum of {max_lifetime} s "
            "(POLKU_JWT_MAX_TOKEN_LIFETIME): get a shorter-lived token")
    role = mapping.role(claims)  # every 401 before the organisation's 403
    return str(uuid.UUID(subject)), mapping.organisation(claims), role


_MISSING = object()
_ROLE_CODES = frozenset(role.value for role in Role)


def claim_at(claims: dict[str, Any], path: str) -> Any:
    """The claim named `path`: a top-level claim of that exact name (names such as
    `https://example.fi/org` hold dots), else the dotted path into nested objects
    (`realm_access.roles`); a missing claim is `_MISSING`."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


@dataclass(frozen=True)
class ClaimMapping:
    """Where a token carries the subject, organisation and role, and how the identity
    provider's values (groups, app roles) become Polku's organisation ids and role codes.

    Without a map a claim must be one non-empty string, used as it is. With a map the claim
    may be a string or a list of strings (groups); values the map does not name are ignored
    (a provider issues many groups), and the mapped values must name exactly one
    organisation or role: none or several is a 401 (a token must say unambiguously who acts;
    picking one of several would depend on the provider's list order). An organisation
    claim whose values none map is a 403 like an organisation outside the registry.
    """

    subject_claim: str = "sub"
    org_claim: str = "org"
    role_claim: str = "role"
    org_map: Mapping[str, str] | None = None
    role_map: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        unknown = sorted(set((self.role_map or {}).values()) - _ROLE_CODES)
        if unknown:
            raise ValueError(f"POLKU_JWT_ROLE_MAP maps to unknown role codes {unknown}; "
                             f"the codes are {', '.join(role.value for role in Role)}")
        for name in ("subject_claim", "org_claim", "role_claim"):
            if not getattr(self, name).strip():
                raise ValueError(f"POLKU_JWT_{name.upper()} must name a claim")

    def organisation(self, claims: dict[str, Any]) -> str:
        found = self._mapped(claims, self.org_claim, self.org_map)
        if not found:
            raise NotAuthorised(f"the token's '{self.org_claim}' names no organisation of "
                                "POLKU_JWT_ORG_MAP")
        if len(found) > 1:
            raise Unauthenticated(f"invalid token: '{self.org_claim}' maps to several "
                                  f"organisations ({', '.join(sorted(found))}); a token "
                                  "must name one")
        return found.pop()

    def role(self, claims: dict[str, Any]) -> str:
        found = self._mapped(claims, self.role_claim, self.role_map)
        if not found:
            raise Unauthenticated(f"invalid token: '{self.role_claim}' names no role of "
                                  "POLKU_JWT_ROLE_MAP")
        if len(found) > 1:
            raise Unauthenticated(f"invalid token: '{self.role_claim}' maps to several roles "
                                  f"({', '.join(sorted(found))}); a token must name one")
        code = found.pop()
        if code not in _ROLE_CODES:  # only without a map: the map's values are checked
            raise Unauthenticated(f"invalid token: '{self.role_claim}' is not a Polku role code")
        return code

    @staticmethod
    def _mapped(claims: dict[str, Any], path: str,
                mapping: Mapping[str, str] | None) -> set[str]:
        """The distinct mapped values of the claim (the claim itself without a map)."""
        value = claim_at(claims, path)
        if value is _MISSING or value is None:
            raise Unauthenticated(f"invalid token: the '{path}' claim is missing")
        if mapping is None:
            if not isinstance(value, str) or not value:
                raise Unauthenticated(f"invalid token: '{path}' must be a non-empty string")
            return {value}
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise Unauthenticated(f"invalid token: '{path}' must be a string or a list of "
                                  "strings")
        return {mapping[v] for v in values if v in mapping}
