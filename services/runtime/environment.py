"""The production guard: a service in production refuses to start with development defaults.

The development keys are published in settings.py, so a production service running with one
of them is open to anyone who reads the source (the public master key decrypts personal
data). `production_problems` names every such setting and what to do about it; a service
calls `refuse_development_defaults` before it opens anything, so the process exits with that
message (`polku serve`, and the app's lifespan).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr

from services.runtime.logging import get_logger
from services.runtime.settings import (
    DEV_CLIENT_ID_KEY,
    DEV_JWT_SECRET,
    DEV_MASTER_KEY,
    DEV_PERTURBATION_KEY,
    DEV_RESEARCH_KEY,
    ServiceSettings,
)

log = get_logger(__name__)


@dataclass(frozen=True)
class DevelopmentKey:
    """A setting whose built-in default is a published development key."""

    field: str
    default: str
    services: frozenset[str] | None  # the services that read it; None: every service
    remedy: str

    @property
    def variable(self) -> str:
        return self.field.upper()


DEVELOPMENT_KEYS: tuple[DevelopmentKey, ...] = (
    DevelopmentKey("polku_jwt_secret", DEV_JWT_SECRET, None,
                   "set it to empty (production takes RS256 tokens only) or to a secret of "
                   "your own (`openssl rand -hex 32`)"),
    DevelopmentKey("polku_personal_data_master_key", DEV_MASTER_KEY, frozenset({"referral"}),
                   "set it to a key of your own (`openssl rand -base64 32`) and keep a copy "
                   "in your key escrow; docs/OPERATIONS.md says how to rotate it"),
    DevelopmentKey("polku_client_id_key", DEV_CLIENT_ID_KEY, frozenset({"referral"}),
                   "set it to a key of your own (`openssl rand -hex 32`) before the first "
                   "client is registered"),
    DevelopmentKey("polku_research_key", DEV_RESEARCH_KEY, frozenset({"reporting"}),
                   "set it to a key of your own (`openssl rand -hex 32`)"),
    DevelopmentKey("polku_perturbation_key", DEV_PERTURBATION_KEY, frozenset({"reporting"}),
                   "set it to a key of your own (`openssl rand -hex 32`) and keep it: "
                   "a new key changes every published figure by a few"),
)


def _plain(value: object) -> object:
    """A secret setting's value, to compare it with its published default."""
    return value.get_secret_value() if isinstance(value, SecretStr) else value


class ProductionMisconfigured(RuntimeError):
    """A production service was given development settings; the message names each one."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(describe(problems))
        self.problems = problems


def production_problems(settings: ServiceSettings, service: str | None = None) -> list[str]:
    """What keeps `service` (None: any service) from starting in production, one line per
    offending setting; empty in development or when nothing is wrong."""
    if settings.polku_environment != "production":
        return []
    problems = [
        f"{key.variable} is the published development default: {key.remedy}."
        for key in DEVELOPMENT_KEYS
        if (service is None or key.services is None or service in key.services)
        and _plain(getattr(settings, key.field)) == key.default
    ]
    return problems + token_problems(settings)


def token_problems(settings: ServiceSettings) -> list[str]:
    """What keeps production from verifying the identity provider's tokens safely: HS256
    allowed; no public key and no JWKS URL; a JWKS URL that is not https; no issuer or
    audience to check (a provider's keys sign tokens for every application of the tenant,
    and Entra ID's multi-tenant keys those of every tenant: without `aud` and `iss` checks
    Polku would accept them all)."""
    problems = []
    if settings.jwt_hs256_allowed():
        problems.append(
            "POLKU_JWT_ALLOW_HS256 is true: production accepts only the identity provider's "
            "tokens; remove the setting (or set it to false) and set POLKU_JWT_JWKS_URL "
            "(or POLKU_JWT_PUBLIC_KEY).")
    elif not settings.polku_jwt_public_key and not settings.polku_jwt_jwks_url:
        problems.append(
            "POLKU_JWT_JWKS_URL is not set (nor POLKU_JWT_PUBLIC_KEY): with HS256 off no "
            "token could be verified; set it to the identity provider's JWKS URL.")
    url = settings.polku_jwt_jwks_url
    if url and not url.lower().startswith("https://"):
        problems.append("POLKU_JWT_JWKS_URL is not an https URL: the keys that decide who "
                        "may act must come over TLS.")
    if not settings.jwt_issuers():
        problems.append("POLKU_JWT_ISSUER is not set: set it to the identity provider's "
                        "issuer (the `iss` of its tokens).")
    if not settings.jwt_audiences():
        problems.append("POLKU_JWT_AUDIENCE is not set: set it to the audience the identity "
                        "provider issues Polku's tokens for (their `aud`).")
    return problems


def describe(problems: list[str]) -> str:
    lines = "\n".join(f"  * {problem}" for problem in problems)
    return f"refusing to start with POLKU_ENVIRONMENT=production:\n{lines}"


def refuse_development_defaults(settings: ServiceSettings, service: str | None = None) -> None:
    """Log and raise ProductionMisconfigured when `production_problems` finds anything."""
    problems = production_problems(settings, service)
    if problems:
        log.error("service.refused_to_start", problems=problems)
        raise ProductionMisconfigured(problems)
