"""The Kafka settings of every process: where the broker is, how each client connects
(PLAINTEXT, TLS, mTLS, SASL) and how topics are made; part of ServiceSettings (settings.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class KafkaSettings(BaseSettings):
    """Where the broker is, how every Kafka client connects to it, and how topics are made."""

    # A refused setting must not echo its input: it may be a password (KAFKA_SASL_PASSWORD).
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", hide_input_in_errors=True)

    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", description="Kafka bootstrap servers, comma separated."
    )
    polku_topic_partitions: int = Field(
        3, ge=1, description="Partitions for topics a service creates when they are missing."
    )
    polku_topic_replication_factor: int = Field(
        1, ge=1, description="Replication factor for topics a service creates."
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_SSL", "SASL_PLAINTEXT"] = Field(
        "PLAINTEXT",
        description="How every Kafka client connects: `SSL` (TLS; with a client certificate "
        "and key: mTLS), `SASL_SSL` (TLS and a SASL login, the production choice), "
        "`SASL_PLAINTEXT` (a SASL login without TLS) or `PLAINTEXT` (development).",
    )
    kafka_ssl_ca_file: Path | None = Field(
        None, description="PEM file of the CA(s) that signed the brokers' certificates; "
        "unset: the system's trusted CAs (SSL and SASL_SSL).",
    )
    kafka_ssl_cert_file: Path | None = Field(
        None, description="PEM client certificate (chain) for mTLS; needs KAFKA_SSL_KEY_FILE.",
    )
    kafka_ssl_key_file: Path | None = Field(
        None, description="PEM private key of KAFKA_SSL_CERT_FILE (mTLS).",
    )
    kafka_ssl_key_password: SecretStr | None = Field(
        None, description="Password of an encrypted KAFKA_SSL_KEY_FILE.",
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = Field(
        "SCRAM-SHA-512",
        description="SASL mechanism (SASL_SSL and SASL_PLAINTEXT); PLAIN sends the password "
        "itself, so use it only with SASL_SSL.",
    )
    kafka_sasl_username: str | None = Field(
        None, description="SASL user (the Kafka principal whose ACLs apply); required with "
        "SASL_SSL and SASL_PLAINTEXT.",
    )
    kafka_sasl_password: SecretStr | None = Field(
        None, description="SASL password of KAFKA_SASL_USERNAME (keep it in a Secret).",
    )
    kafka_connect_timeout_seconds: float = Field(
        15.0, gt=0, le=300,
        description="How long a Kafka client may take to connect and log in before the "
        "start fails with an error naming the setting to fix (instead of hanging).",
    )

    @model_validator(mode="after")
    def _kafka_security_is_complete(self) -> KafkaSettings:
        """Refuse combinations that cannot work, naming the setting to fix."""
        protocol = self.kafka_security_protocol
        sasl, tls = protocol.startswith("SASL_"), protocol.endswith("SSL")
        problems = []
        for name, value in (("KAFKA_SASL_USERNAME", self.kafka_sasl_username),
                            ("KAFKA_SASL_PASSWORD", self.kafka_sasl_password)):
            if sasl and not value:
                problems.append(f"{name} is required with KAFKA_SECURITY_PROTOCOL={protocol}")
            if not sasl and value:
                problems.append(f"{name} is set but KAFKA_SECURITY_PROTOCOL={protocol} has no "
                                "SASL login: set KAFKA_SECURITY_PROTOCOL=SASL_SSL")
        files = (("KAFKA_SSL_CA_FILE", self.kafka_ssl_ca_file),
                 ("KAFKA_SSL_CERT_FILE", self.kafka_ssl_cert_file),
                 ("KAFKA_SSL_KEY_FILE", self.kafka_ssl_key_file),
                 ("KAFKA_SSL_KEY_PASSWORD", self.kafka_ssl_key_password))
        problems += [f"{name} is set but KAFKA_SECURITY_PROTOCOL={protocol} uses no TLS: set "
                     "KAFKA_SECURITY_PROTOCOL=SSL or SASL_SSL" for name, value in files
                     if value and not tls]
        if bool(self.kafka_ssl_cert_file) != bool(self.kafka_ssl_key_file):
            problems.append("KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together (mTLS): "
                            "set both or neither")
        if self.kafka_ssl_key_password and not self.kafka_ssl_key_file:
            problems.append("KAFKA_SSL_KEY_PASSWORD is set without KAFKA_SSL_KEY_FILE")
        if problems:
            raise ValueError("; ".join(problems))
        return self
