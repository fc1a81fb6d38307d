"""Settings → Kafka client options (TLS, mTLS, SASL) and the refusals that name the setting."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError, SaslAuthenticationFailed
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from faststream.kafka.security import parse_security
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from pydantic import ValidationError

from polku.stack.kafka_secure import (
    certificate_authority,
    make_certificates,
    pem_key,
    signed_certificate,
)
from services.runtime.kafka_clients import KafkaConnection, KafkaSetupError
from services.runtime.settings import KafkaSettings

SERVERS = "kafka-1.example:9093,kafka-2.example:9093"
PASSWORD = "s3cret-Password"


def settings(**values: Any) -> KafkaSettings:
    return KafkaSettings(kafka_bootstrap_servers=SERVERS, **values)


@pytest.fixture(scope="module")
def ca_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tls")
    make_certificates(directory)
    return directory / "ca.pem"


@pytest.fixture(scope="module")
def client_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A client certificate and its key, encrypted with PASSWORD (mTLS)."""
    directory = tmp_path_factory.mktemp("client")
    ca_key, ca_cert = certificate_authority("client CA")
    key, cert = signed_certificate(ca_key, ca_cert, "polku-referral", ["polku-referral"],
                                   ExtendedKeyUsageOID.CLIENT_AUTH)
    (directory / "client.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "client.key").write_bytes(pem_key(key, PASSWORD.encode()))
    return directory / "client.pem", directory / "client.key"


def test_plaintext_is_the_development_default() -> None:
    kafka = KafkaConnection.from_settings(settings())
    assert kafka.client_options() == {"bootstrap_servers": SERVERS,
                                      "security_protocol": "PLAINTEXT"}
    assert kafka.broker_security() is None


def test_ssl_verifies_the_brokers_against_the_ca_file(ca_file: Path) -> None:
    kafka = KafkaConnection.from_settings(settings(kafka_security_protocol="SSL",
                                                   kafka_ssl_ca_file=ca_file))
    options = kafka.client_options()
    assert options["security_protocol"] == "SSL"
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    assert [c["subject"] for c in context.get_ca_certs()] == [
        ((("commonName", "Polku embedded Kafka test CA"),),)]
    assert "sasl_mechanism" not in options
    security = kafka.broker_security()
    assert type(security) is BaseSecurity and security.use_ssl
    assert security.ssl_context is context


def test_mtls_loads_the_client_certificate_with_its_key_password(
    ca_file: Path, client_pair: tuple[Path, Path]
) -> None:
    cert, key = client_pair
    kafka = KafkaConnection.from_settings(settings(
        kafka_security_protocol="SSL", kafka_ssl_ca_file=ca_file, kafka_ssl_cert_file=cert,
        kafka_ssl_key_file=key, kafka_ssl_key_password=PASSWORD))
    assert kafka.client_options()["ssl_context"] is kafka.ssl_context


def test_mtls_with_a_wrong_key_password_names_the_settings(
    ca_file: Path, client_pair: tuple[Path, Path]
) -> None:
    cert, key = client_pair
    with pytest.raises(KafkaSetupError, match="KAFKA_SSL_KEY_PASSWORD") as refused:
        KafkaConnection.from_settings(settings(
            kafka_security_protocol="SSL", kafka_ssl_ca_file=ca_file, kafka_ssl_cert_file=cert,
            kafka_ssl_key_file=key, kafka_ssl_key_password="not-it"))
    assert "KAFKA_SSL_CERT_FILE" in str(refused.value)


def test_an_unreadable_ca_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(KafkaSetupError, match="KAFKA_SSL_CA_FILE="):
        KafkaConnection.from_settings(settings(kafka_security_protocol="SASL_SSL",
                                               kafka_ssl_ca_file=tmp_path / "missing.pem",
                                               kafka_sasl_username="u",
                                               kafka_sasl_password=PASSWORD))


@pytest.mark.parametrize(("mechanism", "security_class"), [
    ("SCRAM-SHA-512", SASLScram512), ("SCRAM-SHA-256", SASLScram256), ("PLAIN", SASLPlaintext)])
@pytest.mark.parametrize("protocol", ["SASL_SSL", "SASL_PLAINTEXT"])
def test_sasl_gives_the_same_options_to_aiokafka_and_to_faststream(
    mechanism: str, security_class: type, protocol: str, ca_file: Path
) -> None:
    tls = {"kafka_ssl_ca_file": ca_file} if protocol == "SASL_SSL" else {}
    kafka = KafkaConnection.from_settings(settings(
        kafka_security_protocol=protocol, kafka_sasl_mechanism=mechanism,
        kafka_sasl_username="polku-referral", kafka_sasl_password=PASSWORD, **tls))
    options = kafka.client_options()
    assert options["security_protocol"] == protocol
    assert options["sasl_mechanism"] == mechanism
    assert options["sasl_plain_username"] == "polku-referral"
    assert options["sasl_plain_password"] == PASSWORD
    assert ("ssl_context" in options) is (protocol == "SASL_SSL")
    security = kafka.broker_security()
    assert type(security) is security_class
    # FastStream turns its security object into exactly the options the other clients get.
    assert {k: v for k, v in parse_security(security).items() if v is not None} == {
        k: v for k, v in options.items() if k != "bootstrap_servers"}


def test_the_broker_keeps_the_connection_for_the_relays_admin_requests(ca_file: Path) -> None:
    kafka = KafkaConnection.from_settings(settings(
        kafka_security_protocol="SASL_SSL", kafka_ssl_ca_file=ca_file,
        kafka_sasl_username="polku-referral", kafka_sasl_password=PASSWORD))
    again = KafkaConnection.of_broker(kafka.broker(client_id="polku-test"))
    assert again.client_options() == kafka.client_options()


def test_the_password_is_not_in_the_connections_repr() -> None:
    kafka = KafkaConnection.from_settings(settings(
        kafka_security_protocol="SASL_PLAINTEXT", kafka_sasl_username="u",
        kafka_sasl_password=PASSWORD))
    assert PASSWORD not in repr(kafka) and PASSWORD not in str(kafka)


@pytest.mark.parametrize(("values", "named"), [
    ({"kafka_security_protocol": "SASL_SSL", "kafka_sasl_password": PASSWORD},
     "KAFKA_SASL_USERNAME is required with KAFKA_SECURITY_PROTOCOL=SASL_SSL"),
    ({"kafka_security_protocol": "SASL_PLAINTEXT", "kafka_sasl_username": "u"},
     "KAFKA_SASL_PASSWORD is required with KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT"),
    ({"kafka_sasl_username": "u", "kafka_sasl_password": PASSWORD},
     "KAFKA_SASL_USERNAME is set but KAFKA_SECURITY_PROTOCOL=PLAINTEXT has no SASL login"),
    ({"kafka_security_protocol": "SASL_PLAINTEXT", "kafka_sasl_username": "u",
      "kafka_sasl_password": PASSWORD, "kafka_ssl_ca_file": "/etc/ca.pem"},
     "KAFKA_SSL_CA_FILE is set but KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT uses no TLS"),
    ({"kafka_security_protocol": "SSL", "kafka_ssl_cert_file": "/etc/client.pem"},
     "KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together"),
    ({"kafka_security_protocol": "SSL", "kafka_ssl_key_password": "x"},
     "KAFKA_SSL_KEY_PASSWORD is set without KAFKA_SSL_KEY_FILE"),
])
def test_combinations_that_cannot_work_are_refused_naming_the_setting(
    values: dict[str, Any], named: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        settings(**values)
    assert named in str(refused.value)
    assert PASSWORD not in str(refused.value), "a refused setting must not echo a password"


def test_a_refused_login_is_explained_with_the_settings_to_check() -> None:
    kafka = KafkaConnection(SERVERS, "SASL_SSL", None, "SCRAM-SHA-512", "polku-referral")
    text = kafka.explain([SaslAuthenticationFailed("invalid credentials"),
                          KafkaConnectionError("Unable to bootstrap")])
    assert "refused the SASL login of KAFKA_SASL_USERNAME=polku-referral" in text
    assert "KAFKA_SASL_PASSWORD" in text


def test_an_untrusted_certificate_is_explained_with_the_ca_setting() -> None:
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_message = "unable to get local issuer certificate"
    text = KafkaConnection(SERVERS, "SSL").explain([error])
    assert "KAFKA_SSL_CA_FILE" in text and "unable to get local issuer" in text


def test_a_silent_broker_is_explained_with_the_timeout_and_the_servers() -> None:
    text = KafkaConnection(SERVERS, "SASL_SSL", connect_timeout=3).explain([], timed_out=True)
    assert "within 3 s (KAFKA_CONNECT_TIMEOUT_SECONDS)" in text
    assert "KAFKA_BOOTSTRAP_SERVERS" in text and "KAFKA_SECURITY_PROTOCOL=SASL_SSL" in text


def test_a_closed_connection_points_at_the_protocol_or_the_client_certificate() -> None:
    closed = [KafkaConnectionError("Connection at kafka-1.example:9093 closed")]
    plaintext = KafkaConnection(SERVERS).explain(closed)
    assert "check that KAFKA_SECURITY_PROTOCOL=PLAINTEXT is what the listener speaks" in plaintext
    no_certificate = KafkaConnection(SERVERS, "SSL").explain(closed)
    assert "requires a client certificate (mTLS), set KAFKA_SSL_CERT_FILE" in no_certificate
    with_certificate = KafkaConnection(SERVERS, "SSL", client_certificate=Path("/c.pem"))
    assert "trusts the CA of KAFKA_SSL_CERT_FILE=/c.pem" in with_certificate.explain(closed)
