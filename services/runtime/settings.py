"""Every setting Polku reads, as pydantic-settings models (environment variables).

docs/CONFIGURATION.md is generated from these models (`polku config-reference`), so the
reference cannot drift from the code.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "polku-development-secret-do-not-use-in-production"
# 32 bytes, base64: development defaults only; production sets its own.
DEV_MASTER_KEY = "cG9sa3UtZGV2LW1hc3Rlci1rZXktMzItYnl0ZXMhISE="
DEV_CLIENT_ID_KEY = "polku-dev-client-id-key"
DEV_RESEARCH_KEY = "polku-dev-research-key"


class KafkaSettings(BaseSettings):
    """Where the broker is and how topics are made."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", description="Kafka bootstrap servers, comma separated."
    )
    polku_topic_partitions: int = Field(
        3, ge=1, description="Partitions for topics a service creates when they are missing."
    )
    polku_topic_replication_factor: int = Field(
        1, ge=1, description="Replication factor for topics a service creates."
    )


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
    polku_organisations_file: Path | None = Field(
        None, description="Organisation registry JSON; default: the shipped demo registry."
    )
    polku_relay_batch_size: int = Field(
        1000, ge=1, description="Events the relay publishes per batch."
    )
    polku_relay_idle_seconds: float = Field(
        0.05, gt=0, description="How long the relay sleeps when nothing is waiting."
    )
    polku_consumer_max_records: int = Field(
        1000, ge=1, description="Messages a consumer takes per batch."
    )
    polku_consumer_retries: int = Field(
        3, ge=0, description="Retries of a failing handler before the batch is dead-lettered."
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
    polku_dashboard_targets: str = Field(
        "client_experience=8.5,coaching_employment_rate=0.2",
        description="Target lines on the dashboard, indicator=value comma list.",
    )

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


SETTINGS_MODELS: tuple[type[BaseSettings], ...] = (ServiceSettings, StackSettings)


@lru_cache
def service_settings() -> ServiceSettings:
    return ServiceSettings()
