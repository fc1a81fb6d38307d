"""An optional TLS + SCRAM-SHA-512 listener with ACLs for the embedded Kafka (security tests).

`EmbeddedKafka(..., secure=SecureListener(port, users))` adds a second listener, `SECURE`
(SASL_SSL), beside the plaintext one the broker itself uses; with `mtls_port` a third, `MTLS`
(SSL, client certificate required: the principal is the certificate's subject, `CN=<name>`):

* certificates are made at start with `cryptography`: a CA and a server certificate for
  localhost and 127.0.0.1 (`ca_file` is what clients trust, KAFKA_SSL_CA_FILE), and a
  client certificate and key per name in `tls_clients` (`client_files`);
* SCRAM-SHA-512 credentials are written into the metadata log by Kafka's own storage tool
  when it formats the storage (`kafka-storage format --add-scram`);
* the standard KRaft authorizer (StandardAuthorizer) refuses whatever an ACL does not allow;
  ACLs are created with Kafka's own Admin API (deploy/kafka/CreateAcls.java).

The plaintext and controller listeners' principal (User:ANONYMOUS) is the super user: the
broker talks to itself there, and the stack's readiness probe and `grant` use it. The
default stack (no `secure`) is unchanged.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from polku.stack.processes import StackError

MECHANISM = "SCRAM-SHA-512"
LISTENER = "SECURE"
MTLS = "MTLS"


@dataclass(frozen=True)
class Acl:
    """One ALLOW rule for a SCRAM user (any host)."""

    user: str
    resource: Literal["TOPIC", "GROUP", "CLUSTER", "TRANSACTIONAL_ID"]
    name: str
    operation: str  # READ, WRITE, DESCRIBE, CREATE, ALTER, DELETE, ...
    pattern: Literal["LITERAL", "PREFIXED"] = "LITERAL"

    def argument(self) -> str:
        return f"User:{self.user}|{self.resource}|{self.pattern}|{self.name}|{self.operation}"


@dataclass
class SecureListener:
    """A SASL_SSL listener on `port` with SCRAM-SHA-512 `users` (name → password)."""

    port: int
    users: dict[str, str]
    host: str = "127.0.0.1"
    mtls_port: int | None = None
    tls_clients: tuple[str, ...] = ()
    tls_dir: Path | None = field(default=None, init=False)

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def ca_file(self) -> Path:
        if self.tls_dir is None:
            raise StackError("the secured listener has no certificates yet (start the broker)")
        return self.tls_dir / "ca.pem"

    def client_files(self, name: str) -> tuple[Path, Path]:
        """The client certificate and key of `name` (principal `User:CN=<name>`)."""
        return self.ca_file.parent / f"{name}.pem", self.ca_file.parent / f"{name}.key"

    def configure(self, props: dict[str, str], root: Path) -> None:
        """Add the listener, its TLS and SASL settings and the authorizer to `props`."""
        self.tls_dir = root / "tls"
        server_pem = make_certificates(self.tls_dir, self.host, self.tls_clients)
        prefix = f"listener.name.{LISTENER.lower()}"
        _listen(props, LISTENER, f"{self.host}:{self.port}", "SASL_SSL")
        if self.mtls_port is not None:
            _listen(props, MTLS, f"{self.host}:{self.mtls_port}", "SSL")
            mtls = f"listener.name.{MTLS.lower()}"
            props.update({
                f"{mtls}.ssl.keystore.type": "PEM",
                f"{mtls}.ssl.keystore.location": str(server_pem),
                f"{mtls}.ssl.truststore.type": "PEM",
                f"{mtls}.ssl.truststore.location": str(self.ca_file),
                f"{mtls}.ssl.client.auth": "required",
            })
        props.update({
            f"{prefix}.ssl.keystore.type": "PEM",
            f"{prefix}.ssl.keystore.location": str(server_pem),
            f"{prefix}.sasl.enabled.mechanisms": MECHANISM,
            f"{prefix}.{MECHANISM.lower()}.sasl.jaas.config":
                "org.apache.kafka.common.security.scram.ScramLoginModule required;",
            "authorizer.class.name":
                "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "super.users": "User:ANONYMOUS",
            "allow.everyone.if.no.acl.found": "false",
        })

    def format_arguments(self) -> list[str]:
        """`kafka-storage format` arguments that create the SCRAM credentials."""
        return [f"--add-scram={MECHANISM}=[name={name},password={password}]"
                for name, password in self.users.items()]


def _listen(props: dict[str, str], name: str, address: str, protocol: str) -> None:
    props["listeners"] += f",{name}://{address}"
    props["advertised.listeners"] += f",{name}://{address}"
    props["listener.security.protocol.map"] += f",{name}:{protocol}"


def grant(java: str, classpath: str, log4j: Path, bootstrap: str, acls: list[Acl]) -> None:
    """Create `acls` through Kafka's Admin API (a super user's plaintext connection)."""
    source = Path(__file__).resolve().parents[2] / "deploy" / "kafka" / "CreateAcls.java"
    result = subprocess.run(
        # A short-lived JVM that compiles the source first: quick JIT, small heap.
        [java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
         f"-Dlog4j2.configurationFile={log4j}", "-cp", classpath,
         str(source), bootstrap, *(acl.argument() for acl in acls)],
        capture_output=True, text=True, timeout=120,
    )
    if result.returncode != 0:
        raise StackError(f"creating Kafka ACLs failed:\n{result.stdout}{result.stderr[-3000:]}")


def make_certificates(
    directory: Path, host: str = "127.0.0.1", clients: tuple[str, ...] = ()
) -> Path:
    """A CA (ca.pem) and a server key and certificate for localhost and `host` signed by it
    (server.pem, key first, as Kafka's PEM key store reads it), and per client name a
    certificate and key (<name>.pem, <name>.key); returns server.pem's path."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = certificate_authority("Polku embedded Kafka test CA")
    key, cert = signed_certificate(ca_key, ca_cert, "localhost", ["localhost", host],
                                   ExtendedKeyUsageOID.SERVER_AUTH)
    (directory / "ca.pem").write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    server = directory / "server.pem"
    server.write_bytes(pem_key(key) + cert.public_bytes(serialization.Encoding.PEM))
    server.chmod(0o600)
    for name in clients:
        key, cert = signed_certificate(ca_key, ca_cert, name, [name],
                                       ExtendedKeyUsageOID.CLIENT_AUTH)
        (directory / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (directory / f"{name}.key").write_bytes(pem_key(key))
    return server


def certificate_authority(name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        _builder(subject, subject, key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def signed_certificate(
    ca_key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate, common_name: str,
    names: list[str], usage: x509.ObjectIdentifier,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A key and a certificate for `names` (DNS names or IP addresses) signed by the CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    alternatives: list[x509.GeneralName] = []
    for name in dict.fromkeys(names):
        try:
            alternatives.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alternatives.append(x509.DNSName(name))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (
        _builder(subject, ca_cert.subject, key.public_key())
        .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def pem_key(key: ec.EllipticCurvePrivateKey, password: bytes | None = None) -> bytes:
    """The key as PKCS#8 PEM (what Kafka and Python's ssl read), encrypted with `password`."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password
        else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             encryption)


def _builder(subject: x509.Name, issuer: x509.Name,
             public_key: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
    )
