"""The production guard: a service in production refuses to start with development defaults.

The development keys are published in settings.py, so a production service running with one
of them is open to anyone who reads the source (the public master key decrypts personal
data). `production_problems` names every such setting and what to do about it; a service
calls `refuse_development_defaults` before it opens anything, so the process exits with that
message (`polku serve`, and the app's lifespan).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.runtime.logging import get_logger
from services.runtime.settings import (
    DEV_CLIENT_ID_KEY,
    DEV_JWT_SECRET,
    DEV_MASTER_KEY,
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
)


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
        and getattr(settings, key.field) == key.default
    ]
    if settings.jwt_hs256_allowed():
        problems.append(
            "POLKU_JWT_ALLOW_HS256 is true: production accepts only RS256 tokens of the "
            "identity provider; remove the setting (or set it to false) and set "
            "POLKU_JWT_PUBLIC_KEY.")
    elif not settings.polku_jwt_public_key:
        problems.append(
            "POLKU_JWT_PUBLIC_KEY is not set: with HS256 off no token could be verified; set "
            "it to the identity provider's RS256 public key (PEM).")
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
