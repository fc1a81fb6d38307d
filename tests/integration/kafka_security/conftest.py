"""A second, secured embedded Kafka for these tests only: TLS + SCRAM-SHA-512 on its SECURE
listener, mTLS on its MTLS listener, the standard KRaft authorizer, and ACLs giving each
principal only what it needs.

The rest of the suite keeps the session's plaintext broker; this one starts once for the
package (a minute or so: the broker, then the ACLs through Kafka's Admin API).
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from contracts.topics import ASSESSMENT_TOPIC, REFERRAL_TOPIC, dlq_topic
from polku.stack.kafka import EmbeddedKafka
from polku.stack.kafka_secure import Acl, SecureListener
from polku.stack.processes import free_port
from services.runtime.kafka_clients import KafkaConnection
from services.runtime.settings import ServiceSettings, StackSettings
from services.runtime.topics import KEEP_FOREVER, ensure_topics

ASSESSMENT_DLQ = dlq_topic("assessment")
TOPICS = (REFERRAL_TOPIC, ASSESSMENT_TOPIC, ASSESSMENT_DLQ)
MTLS_CLIENT = "polku-mtls"

# What each principal needs, and nothing more (Write and Read imply Describe).
ACLS = [
    # The referral service's relay publishes its topic.
    Acl("referral", "TOPIC", REFERRAL_TOPIC, "WRITE"),
    # The assessment service consumes the referral topic in its group, dead-letters what it
    # cannot take, and publishes its own topic.
    Acl("assessment", "TOPIC", REFERRAL_TOPIC, "READ"),
    Acl("assessment", "GROUP", "polku-assessment", "READ"),
    Acl("assessment", "TOPIC", ASSESSMENT_DLQ, "WRITE"),
    Acl("assessment", "TOPIC", ASSESSMENT_TOPIC, "WRITE"),
    # The operator lists and replays dead letters (to their original topic, here the
    # referral topic) and republishes referral's events.
    Acl("operator", "TOPIC", "polku.dlq.", "READ", pattern="PREFIXED"),
    Acl("operator", "GROUP", "polku-dlq-replay-", "READ", pattern="PREFIXED"),
    Acl("operator", "TOPIC", REFERRAL_TOPIC, "WRITE"),
    # A client with a certificate (mTLS, principal = its subject) may read these dead letters.
    Acl(f"CN={MTLS_CLIENT}", "TOPIC", ASSESSMENT_DLQ, "READ"),
]


@dataclass(frozen=True)
class SecuredKafka:
    plain: str  # the super user's plaintext listener (setting up, checking)
    secure: str  # SASL_SSL
    ca_file: Path
    passwords: dict[str, str]
    mtls: str  # SSL with a client certificate required
    client_files: tuple[Path, Path]  # MTLS_CLIENT's certificate and key

    def settings(self, user: str, password: str | None = None) -> dict[str, Any]:
        """ServiceSettings values for `user` on the secured listener."""
        return {"kafka_security_protocol": "SASL_SSL", "kafka_ssl_ca_file": self.ca_file,
                "kafka_sasl_mechanism": "SCRAM-SHA-512", "kafka_sasl_username": user,
                "kafka_sasl_password": password or self.passwords[user],
                "kafka_connect_timeout_seconds": 10.0}

    def env(self, user: str, password: str | None = None) -> dict[str, str]:
        """The same as environment variables (for `polku` commands)."""
        values = {"kafka_bootstrap_servers": self.secure, **self.settings(user, password)}
        return {name.upper(): str(value) for name, value in values.items()}

    def mtls_env(self, *, certificate: bool = True) -> dict[str, str]:
        """Environment variables of the mTLS client (or of one without its certificate)."""
        cert, key = self.client_files
        env = {"KAFKA_BOOTSTRAP_SERVERS": self.mtls, "KAFKA_SECURITY_PROTOCOL": "SSL",
               "KAFKA_SSL_CA_FILE": str(self.ca_file), "KAFKA_CONNECT_TIMEOUT_SECONDS": "10"}
        if certificate:
            env |= {"KAFKA_SSL_CERT_FILE": str(cert), "KAFKA_SSL_KEY_FILE": str(key)}
        return env

    def connection(self, user: str, password: str | None = None) -> KafkaConnection:
        return KafkaConnection.from_settings(ServiceSettings(
            kafka_bootstrap_servers=self.secure, **self.settings(user, password)))


@pytest.fixture(scope="package")
def secured_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecuredKafka]:
    if shutil.which("java") is None:
        pytest.skip("the secured embedded Kafka needs Java 17+")
    passwords = {user: f"{user}-{secrets.token_hex(8)}"
                 for user in ("referral", "assessment", "operator")}
    listener = SecureListener(free_port(), passwords, mtls_port=free_port(),
                              tls_clients=(MTLS_CLIENT,))
    lib = (StackSettings().polku_state_dir / "kafka" / "lib").resolve()
    kafka = EmbeddedKafka(tmp_path_factory.mktemp("secured"), free_port(), lib_dir=lib,
                          secure=listener)
    kafka.start()
    try:
        kafka.grant(ACLS)
        yield SecuredKafka(kafka.bootstrap_servers, listener.bootstrap_servers,
                           listener.ca_file, passwords, f"127.0.0.1:{listener.mtls_port}",
                           listener.client_files(MTLS_CLIENT))
    finally:
        kafka.stop()


@pytest.fixture(scope="package")
async def secured(secured_broker: SecuredKafka) -> SecuredKafka:
    """The secured broker with the service topics made (by the super user, as an operator
    would make them: the services' principals may not create topics)."""
    await ensure_topics(KafkaConnection(secured_broker.plain), TOPICS[:2], config=KEEP_FOREVER)
    await ensure_topics(KafkaConnection(secured_broker.plain), TOPICS[2:], partitions=1,
                        config=KEEP_FOREVER)
    return secured_broker
