"""Every setting Polku reads, as pydantic-settings models (environment variables).

docs/CONFIGURATION.md is generated from these models (`polku config-reference`), so the
reference cannot drift from the code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.runtime.settings_kafka import KafkaSettings

# Published development keys: a production service refuses to start with any of them
# (environment.py, DEVELOPMENT_KEYS; add a new development default there too).
DEV_JWT_SECRET = "polku-development-secret-do-not-use-in-production"
# 32 bytes, base64: development defaults only; production sets its own.
DEV_MASTER_KEY = "cG9sa3UtZGV2LW1hc3Rlci1rZXktMzItYnl0ZXMhISE="
DEV_CLIENT_ID_KEY = "polku-dev-client-id-key"
DEV_RESEARCH_KEY = "polku-dev-research-key"
DEV_PERTURBATION_KEY = "polku-development-perturbation-key"

# Signature algorithms an identity provider's public keys may be used with (never HS*/none).
ASYMMETRIC_JWT_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                             "ES256", "ES384", "ES512")


def _comma_list(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


class ServiceSettings(KafkaSettings):
    """Settings of one running service process."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    database_url: str = Field(
        "postgresql://postgres@127.0.0.1:5432/polku",
        description="PostgreSQL URL of this service's own database.",
    )
    polku_http_host: str = Field("127.0.0.1", description="Address the HTTP server binds to.")
    polku_http_port: int | None = Field(
        None, description="HTTP port; default per service (8001 referral … 8004 reporting)."
    )
    polku_log_format: Literal["json", "console"] = Field(
        "json", description="Log output: JSON lines (production) or readable console."
    )
    polku_log_level: str = Field("INFO", description="Log level.")
    polku_jwt_secret: str | None = Field(
        DEV_JWT_SECRET,
        description="HS256 secret for development tokens; empty disables HS256.",
    )
    polku_jwt_public_key: str | None = Field(
        None,
        description="RS256 public key (PEM) of the identity provider, for production; "
        "several concatenated PEM keys are all accepted (key rollover).",
    )
    polku_environment: Literal["development", "production"] = Field(
        "development",
        description="`production` refuses to start with any development default key or "
        "with HS256 allowed, naming each offending setting.",
    )
    polku_jwt_allow_hs256: bool | None = Field(
        None,
        description="Accept HS256 tokens (signed with POLKU_JWT_SECRET). Unset: true in "
        "development, false in production, and false whenever POLKU_JWT_PUBLIC_KEY or "
        "POLKU_JWT_JWKS_URL is set.",
    )
    polku_jwt_max_token_lifetime: int = Field(
        12 * 3600, gt=0,
        description="Longest lifetime of a token in seconds (exp − iat, or exp − now without "
        "iat); a token living longer is a 401. Default 12 hours.",
    )
    # The organisation's identity provider (docs/SECURITY.md, "Identity provider (JWKS)").
    polku_jwt_jwks_url: str | None = Field(
        None,
        description="JWKS URL of the identity provider (e.g. Keycloak's "
        "`…/realms/<realm>/protocol/openid-connect/certs`); its keys are fetched, cached and "
        "refreshed when a token names an unknown `kid`. https in production.",
    )
    polku_jwt_issuer: str | None = Field(
        None,
        description="Expected `iss` of tokens, comma list for several; unset: not checked. "
        "Required in production.",
    )
    polku_jwt_audience: str | None = Field(
        None,
        description="Accepted `aud` values (Polku's client id / application id URI), comma "
        "list; a token must name one of them. Unset: `aud` is not checked (a token carrying "
        "one is still accepted). Required in production.",
    )
    polku_jwt_algorithms: str = Field(
        "RS256",
        description="Signature algorithms accepted for the public key and JWKS keys, comma "
        "list of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512. HS256 is "
        "governed by POLKU_JWT_ALLOW_HS256 alone; `none` is never accepted.",
    )
    polku_jwt_jwks_refresh_seconds: float = Field(
        60.0, gt=0,
        description="At most one JWKS fetch per this many seconds, whatever asks for it "
        "(an unknown `kid`, expired keys, a failed fetch).",
    )
    polku_jwt_jwks_max_age_seconds: float = Field(
        3600.0, gt=0,
        description="Age after which the cached JWKS keys are fetched again (keys the "
        "provider withdrew stop verifying); if that fetch fails the cached keys stay in use.",
    )
    polku_jwt_jwks_timeout_seconds: float = Field(
        5.0, gt=0, le=60, description="Timeout of one JWKS fetch."
    )
    polku_jwt_subject_claim: str = Field(
        "sub",
        description="Claim holding the professional's id (a UUID), e.g. `oid` for Entra ID; "
        "a dotted path reaches into nested claims.",
    )
    polku_jwt_org_claim: str = Field(
        "org",
        description="Claim holding the organisation (a dotted path reaches into nested "
        "claims, e.g. `polku.org`); with POLKU_JWT_ORG_MAP it may be a list (groups).",
    )
    polku_jwt_role_claim: str = Field(
        "role",
        description="Claim holding the role (a dotted path reaches into nested claims, e.g. "
        "`realm_access.roles`); with POLKU_JWT_ROLE_MAP it may be a list (roles, groups).",
    )
    polku_jwt_org_map: dict[str, str] | None = Field(
        None,
        description='JSON object from the provider\'s values to organisation ids, e.g. '
        '`{"<group id>": "kymenlaakso-sote"}`. Set: only mapped values count, and they must '
        "name exactly one organisation. Unset: the claim is the organisation id itself.",
    )
    polku_jwt_role_map: dict[str, str] | None = Field(
        None,
        description='JSON object from the provider\'s values to Polku role codes, e.g. '
        '`{"polku-nurse": "nurse"}`. Set: only mapped values count, and they must name '
        "exactly one role. Unset: the claim is the role code itself.",
    )
    polku_organisations_file: Path | None = Field(
        None, description="Organisation registry JSON; default: the shipped demo registry."
    )
    polku_relay_batch_size: int = Field(
        1000, ge=1, description="Events the relay publishes per batch."
    )
    polku_relay_idle_seconds: float = Field(
        0.05, gt=0, description="How long the relay sleeps when nothing is waiting."
    )
    polku_broker_startup_wait_seconds: float = Field(
        10.0, ge=0,
        description="How long a starting service waits for Kafka before it serves without "
        "it: commands are kept in the outbox, and the relay and consumers connect in the "
        "background once the broker answers.",
    )
    polku_broker_check_seconds: float = Field(
        15.0, gt=0,
        description="How often a service checks that Kafka answers (the "
        "`polku_broker_reachable` metric; readiness does not depend on it).",
    )
    polku_consumer_max_records: int = Field(
        1000, ge=1, description="Messages a consumer takes per batch."
    )
    polku_consumer_retries: int = Field(
        3, ge=0, description="Retries of a failing handler before the batch is dead-lettered."
    )
    polku_idempotency_ttl_days: int = Field(
        7, ge=1,
        description="Days an Idempotency-Key record answers replays; after that the key is "
        "new again and the record is deleted.",
    )
    polku_processed_events_min_age_days: int = Field(
        90, ge=1,
        description="Days a consumer keeps an event id for deduplication at least (against "
        "re-sends and republishes), before it may be pruned.",
    )
    polku_processed_events_offset_window: int = Field(
        10_000, ge=0,
        description="Offsets below a partition's stored consumer offset that an event id is "
        "kept for deduplication at least (the redelivery window), before it may be pruned.",
    )
    polku_read_audit_retention_years: int = Field(
        12, ge=1,
        description="Years the read audit (reads of personal data and timelines) is kept "
        "(the statutory period); older records are deleted.",
    )
    polku_retention_interval_seconds: float = Field(
        3600.0, gt=0,
        description="How often the maintenance runs that expires idempotency records, prunes "
        "deduplication state, deletes read audit past its period and measures those tables.",
    )
    polku_retention_batch_size: int = Field(
        10_000, ge=1, description="Rows the maintenance deletes per statement."
    )
    polku_personal_data_master_key: str = Field(
        DEV_MASTER_KEY,
        description="Base64 32-byte key that wraps per-client personal-data keys (referral).",
    )
    polku_personal_data_previous_master_key: str | None = Field(
        None,
        description="Previous master key, accepted for reading during a rotation "
        "(referral; `polku rotate-master-key`, then remove it).",
    )
    polku_client_id_key: str = Field(
        DEV_CLIENT_ID_KEY,
        description="Key of the keyed hash from identity code to client_id (referral).",
    )
    polku_research_key: str = Field(
        DEV_RESEARCH_KEY, description="Key of the research pseudonym (reporting)."
    )
    polku_suppression_threshold: int = Field(
        5, description="Small-cell suppression threshold (reporting); never below 3."
    )
    polku_perturbation_key: SecretStr = Field(
        SecretStr(DEV_PERTURBATION_KEY),
        description="Key of the cell key perturbation of published indicator counts "
        "(reporting; INDICATORS.md, disclosure control): record key = HMAC-SHA256 of each "
        "unit's id. Changing it changes every published figure by a few; keep it secret.",
    )
    polku_query_work_mem: str = Field(
        "64MB", pattern=r"^[1-9][0-9]*(kB|MB|GB)$",
        description="PostgreSQL `work_mem` of the reporting service's sessions: the memory "
        "one sort or hash of an indicator query may use before it spills to disk (a year "
        "of a national history needs tens of MB; the server default of 4MB spills). A "
        "session uses a few at most; size it with the pool (10) in mind.",
    )
    polku_query_concurrency: int | None = Field(
        None, ge=1, le=64,
        description="How many indicator computations (`GET /indicators/{id}`, the "
        "dashboard's chart data, the indicator exports) the reporting service runs at once; "
        "more wait their turn. Each runs on one core of the database server (no parallel "
        "workers): set it to that server's cores. Default: the cores this process may use, "
        "right where the service and its database share a machine. The dashboard's ten "
        "charts then take a tenth less time than all ten at once (docs/PERFORMANCE.md).",
    )
    polku_dashboard_targets: str = Field(
        "client_experience=8.5",
        description="Target lines on the dashboard, indicator=value comma list (002's "
        "satisfaction target by default; coaching_employment_rate has none: INDICATORS.md).",
    )
    polku_consistency_wait_seconds: float = Field(
        5.0, gt=0, le=60,
        description="How long a request carrying a Polku-Consistency token waits for this "
        "service to consume the events it names before answering 503 (API.md).",
    )
    polku_access_involvement_days: int = Field(
        180, ge=0,
        description="Days an organisation stays involved with a client after its case "
        "closed or it transferred the case away (the access policy, DESIGN.md).",
    )

    def jwt_hs256_allowed(self) -> bool:
        """Whether HS256 tokens are accepted: as set, else only in development without an
        RS256 public key or JWKS URL (a service given the identity provider's keys wants its
        tokens only)."""
        if self.polku_jwt_allow_hs256 is not None:
            return self.polku_jwt_allow_hs256
        return (self.polku_environment == "development" and not self.polku_jwt_public_key
                and not self.polku_jwt_jwks_url)

    def jwt_audiences(self) -> tuple[str, ...]:
        """POLKU_JWT_AUDIENCE as its values (empty: `aud` not checked)."""
        return _comma_list(self.polku_jwt_audience)

    def jwt_issuers(self) -> tuple[str, ...]:
        """POLKU_JWT_ISSUER as its values (empty: `iss` not checked)."""
        return _comma_list(self.polku_jwt_issuer)

    def jwt_algorithms(self) -> tuple[str, ...]:
        """POLKU_JWT_ALGORITHMS as its values (validated: asymmetric algorithms only)."""
        return _comma_list(self.polku_jwt_algorithms)

    @field_validator("polku_jwt_algorithms")
    @classmethod
    def _asymmetric_algorithms_only(cls, value: str) -> str:
        chosen = _comma_list(value)
        wrong = [name for name in chosen if name not in ASYMMETRIC_JWT_ALGORITHMS]
        if wrong or not chosen:
            raise ValueError(
                "POLKU_JWT_ALGORITHMS must list one or more of "
                f"{', '.join(ASYMMETRIC_JWT_ALGORITHMS)}; got {value!r}")
        return value

    @field_validator("polku_suppression_threshold")
    @classmethod
    def _threshold_at_least_three(cls, value: int) -> int:
        if value < 3:
            raise ValueError(
                "POLKU_SUPPRESSION_THRESHOLD must be at least 3 (Finnish statistics practice); "
                f"got {value}"
            )
        return value


class StackSettings(BaseSettings):
    """Settings of the embedded local stack (`polku up`, tests)."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    polku_state_dir: Path = Field(
        Path(".polku"), description="Where the embedded stack keeps Kafka and PostgreSQL data."
    )
    polku_kafka_heap: str = Field("512m", description="Java heap of the embedded broker.")
    polku_kafka_port: int = Field(9092, description="Port of the embedded broker.")
    polku_postgres_port: int = Field(
        5432, description="Port of the embedded PostgreSQL (`polku up`); tests pick free ports."
    )
    polku_up_first_port: int = Field(
        8001, ge=1, le=65532,
        description="HTTP port of referral under `polku up`; assessment, coaching and "
        "reporting take the next three.",
    )
    polku_up_database_prefix: str = Field(
        "polku_", pattern=r"^[a-z_][a-z0-9_]*$",
        description="`polku up` keeps each service's data in the database `<prefix><service>`.",
    )


SETTINGS_MODELS: tuple[type[BaseSettings], ...] = (ServiceSettings, StackSettings)
