"""The one Kafka client factory: settings → TLS/SASL options for every client, fast clear failures.

Every Kafka client of Polku (the FastStream broker of a service, admin clients, the DLQ tools,
reporting's replay, republish, the bench) is built from a `KafkaConnection`, made once from
the settings (KAFKA_BOOTSTRAP_SERVERS, KAFKA_SECURITY_PROTOCOL, KAFKA_SSL_*, KAFKA_SASL_*).
`start` bounds a client's start by KAFKA_CONNECT_TIMEOUT_SECONDS and turns aiokafka's
"Unable to bootstrap" into an error naming the setting to fix: aiokafka logs the cause of a
failed bootstrap (a refused SASL login, an untrusted certificate) and raises a generic
connection error, so the cause is taken from that log record.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import ssl
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import (
    AuthenticationFailedError,
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    KafkaError,
    SaslAuthenticationFailed,
    TopicAuthorizationFailedError,
    TransactionalIdAuthorizationFailed,
    UnsupportedSaslMechanismError,
)
from faststream.kafka import KafkaBroker
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from pydantic import SecretStr

from services.runtime.settings_kafka import KafkaSettings

Protocol = Literal["PLAINTEXT", "SSL", "SASL_SSL", "SASL_PLAINTEXT"]
Mechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]

_SASL_SECURITY: dict[str, type[SASLPlaintext | SASLScram256 | SASLScram512]] = {
    "SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256, "PLAIN": SASLPlaintext,
}
_TIMEOUT_SETTING = "KAFKA_CONNECT_TIMEOUT_SECONDS"
# What an ACL refusal met while a client starts (a consumer's group, a producer's topic or
# transactional id) did not allow: the broker answered, so waiting does not mend it.
_AUTHORIZATION: dict[type[KafkaError], str] = {
    GroupAuthorizationFailedError: "use the consumer group",
    TopicAuthorizationFailedError: "use the topic",
    ClusterAuthorizationFailedError: "act on the cluster",
    TransactionalIdAuthorizationFailed: "use the transactional id",
}


class KafkaSetupError(RuntimeError):
    """A Kafka client could not connect or log in; the message names the setting to fix.

    `retryable`: the broker did not answer (it may be starting), as opposed to a refused
    login or certificate, which waiting does not mend."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class KafkaConnection:
    """Where the brokers are and how to connect and log in; `KafkaConnection(servers)` is
    plaintext (development and tests)."""

    bootstrap_servers: str
    security_protocol: Protocol = "PLAINTEXT"
    ssl_context: ssl.SSLContext | None = field(default=None, compare=False)
    sasl_mechanism: Mechanism | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = field(default=None, repr=False)
    connect_timeout: float = 15.0
    client_certificate: Path | None = None  # mTLS (in ssl_context), named in messages

    @classmethod
    def from_settings(cls, settings: KafkaSettings) -> KafkaConnection:
        """The connection the settings describe (KafkaSettings validated the combination)."""
        protocol = settings.kafka_security_protocol
        sasl = protocol.startswith("SASL_")
        return cls(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            security_protocol=protocol,
            ssl_context=tls_context(settings) if protocol.endswith("SSL") else None,
            sasl_mechanism=settings.kafka_sasl_mechanism if sasl else None,
            sasl_username=settings.kafka_sasl_username if sasl else None,
            sasl_password=settings.kafka_sasl_password if sasl else None,
            connect_timeout=settings.kafka_connect_timeout_seconds,
            client_certificate=(settings.kafka_ssl_cert_file
                                if protocol.endswith("SSL") else None),
        )

    @classmethod
    def of_broker(cls, broker: KafkaBroker) -> KafkaConnection:
        """The connection a FastStream broker was built with (as it keeps it for its own
        consumers), for the admin requests made beside it (the relay's partition count)."""
        options = broker.config.broker_config.builder.keywords  # type: ignore[attr-defined]
        servers = options["bootstrap_servers"]
        password = options.get("sasl_plain_password")
        return cls(
            bootstrap_servers=servers if isinstance(servers, str) else ",".join(servers),
            security_protocol=options.get("security_protocol") or "PLAINTEXT",
            ssl_context=options.get("ssl_context"),
            sasl_mechanism=options.get("sasl_mechanism"),
            sasl_username=options.get("sasl_plain_username"),
            sasl_password=SecretStr(password) if password else None,
        )

    def client_options(self) -> dict[str, Any]:
        """The aiokafka keyword arguments (AIOKafkaProducer, AIOKafkaConsumer,
        AIOKafkaAdminClient) for these servers and this security."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers,
            "security_protocol": self.security_protocol,
        }
        if self.ssl_context is not None:
            options["ssl_context"] = self.ssl_context
        if self.sasl_mechanism is not None:
            options["sasl_mechanism"] = self.sasl_mechanism
            options["sasl_plain_username"] = self.sasl_username
            options["sasl_plain_password"] = (
                self.sasl_password.get_secret_value() if self.sasl_password else None)
        return options

    def broker_security(self) -> BaseSecurity | None:
        """The same security as FastStream's security object (KafkaBroker(security=...))."""
        tls = self.security_protocol.endswith("SSL")
        if self.sasl_mechanism is not None:
            password = self.sasl_password.get_secret_value() if self.sasl_password else ""
            return _SASL_SECURITY[self.sasl_mechanism](
                self.sasl_username or "", password, ssl_context=self.ssl_context, use_ssl=tls)
        if tls:
            return BaseSecurity(ssl_context=self.ssl_context, use_ssl=True)
        return None

    def broker(self, **options: Any) -> KafkaBroker:
        return KafkaBroker(self.bootstrap_servers, security=self.broker_security(), **options)

    def admin(self, **options: Any) -> AIOKafkaAdminClient:
        return AIOKafkaAdminClient(**self.client_options(), **options)

    def consumer(self, *topics: str, **options: Any) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(*topics, **self.client_options(), **options)

    def producer(self, **options: Any) -> AIOKafkaProducer:
        return AIOKafkaProducer(**self.client_options(), **options)

    async def start(self, client: AIOKafkaAdminClient | AIOKafkaConsumer | AIOKafkaProducer
                    | KafkaBroker) -> None:
        """Start `client` within the connect timeout, or close it and raise KafkaSetupError
        naming the setting to fix."""
        try:
            await self.started(client.start)
        except KafkaSetupError:
            with contextlib.suppress(Exception):
                await (client.close() if isinstance(client, AIOKafkaAdminClient)
                       else client.stop())
            raise

    async def started(self, start: Callable[[], Awaitable[Any]]) -> None:
        """Run `start` (a client's or a broker's start) within the connect timeout; translate
        its failure into a KafkaSetupError that names the setting to fix."""
        with _bootstrap_failures() as causes:
            try:
                await asyncio.wait_for(start(), self.connect_timeout)
            except TimeoutError as error:
                raise KafkaSetupError(self.explain(causes, timed_out=True)) from error
            except (KafkaError, OSError) as error:
                text = self.explain([*causes, error])
                raise KafkaSetupError(text, retryable=_unanswered(causes, error)) from error

    def explain(self, causes: list[BaseException], *, timed_out: bool = False) -> str:
        """What went wrong connecting, and which setting to look at."""
        where = f"Kafka at {self.bootstrap_servers}"
        for cause in causes:
            if isinstance(cause, SaslAuthenticationFailed | AuthenticationFailedError):
                return (f"{where} refused the SASL login of KAFKA_SASL_USERNAME="
                        f"{self.sasl_username} ({self.sasl_mechanism}): check "
                        "KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD (and KAFKA_SASL_MECHANISM)")
            for kind, what in _AUTHORIZATION.items():
                if isinstance(cause, kind):
                    return str(refused(self, f"{what} ({cause})"))
            if isinstance(cause, UnsupportedSaslMechanismError):
                return (f"{where} does not offer KAFKA_SASL_MECHANISM={self.sasl_mechanism}: "
                        f"set KAFKA_SASL_MECHANISM to one it offers ({cause})")
            if isinstance(cause, ssl.SSLCertVerificationError):
                return (f"{where} presented a TLS certificate this client does not trust "
                        f"({cause.verify_message}): set KAFKA_SSL_CA_FILE to the CA that "
                        "signed the brokers' certificates (and use the names in the "
                        "certificate in KAFKA_BOOTSTRAP_SERVERS)")
            if isinstance(cause, ssl.SSLError):
                return (f"the TLS handshake with {where} failed ({cause.reason}): check that "
                        f"KAFKA_SECURITY_PROTOCOL={self.security_protocol} is what the "
                        "listener speaks, and KAFKA_SSL_CERT_FILE / KAFKA_SSL_KEY_FILE if it "
                        "asks for a client certificate")
        if timed_out:
            return (f"{where} did not complete the connection within {self.connect_timeout:g} "
                    f"s ({_TIMEOUT_SETTING}): check KAFKA_BOOTSTRAP_SERVERS and that "
                    f"KAFKA_SECURITY_PROTOCOL={self.security_protocol} is what the listener "
                    "speaks")
        detail = "; ".join(str(c) for c in causes) or "no answer"
        if any("closed" in str(c) for c in causes):
            return f"{where} closed the connection ({detail}): {self._closed_hint()}"
        return (f"{where} did not answer ({detail}): check KAFKA_BOOTSTRAP_SERVERS and "
                f"KAFKA_SECURITY_PROTOCOL={self.security_protocol}")

    def _closed_hint(self) -> str:
        protocol = f"KAFKA_SECURITY_PROTOCOL={self.security_protocol}"
        if not self.security_protocol.endswith("SSL"):
            return (f"check that {protocol} is what the listener speaks (a TLS listener needs "
                    "SSL or SASL_SSL)")
        if self.client_certificate is None:
            return ("if the listener requires a client certificate (mTLS), set "
                    f"KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE; else check that {protocol} "
                    "is what it speaks")
        return (f"check that the broker trusts the CA of KAFKA_SSL_CERT_FILE="
                f"{self.client_certificate}, and that {protocol} is what the listener speaks")


def refused(kafka: KafkaConnection, what: str) -> KafkaSetupError:
    """The error for an operation the broker's ACLs do not allow this principal."""
    who = (f"KAFKA_SASL_USERNAME={kafka.sasl_username}" if kafka.sasl_username
           else f"the principal of KAFKA_SSL_CERT_FILE={kafka.client_certificate}"
           if kafka.client_certificate else "this client's principal")
    return KafkaSetupError(f"Kafka at {kafka.bootstrap_servers} does not allow {who} to "
                           f"{what}: grant it the ACL, or use the principal that has it")


def tls_context(settings: KafkaSettings) -> ssl.SSLContext:
    """A client TLS context that verifies the brokers (KAFKA_SSL_CA_FILE, else the system's
    CAs) and, for mTLS, presents KAFKA_SSL_CERT_FILE with KAFKA_SSL_KEY_FILE."""
    ca = settings.kafka_ssl_ca_file
    try:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH,
                                             cafile=str(ca) if ca else None)
    except (OSError, ssl.SSLError) as error:
        raise KafkaSetupError(f"KAFKA_SSL_CA_FILE={ca} cannot be read as PEM CA "
                              f"certificates: {error}") from error
    if settings.kafka_ssl_cert_file and settings.kafka_ssl_key_file:
        password = settings.kafka_ssl_key_password
        try:
            context.load_cert_chain(
                str(settings.kafka_ssl_cert_file), str(settings.kafka_ssl_key_file),
                password=password.get_secret_value() if password else None)
        except (OSError, ssl.SSLError) as error:
            raise KafkaSetupError(
                f"the client certificate KAFKA_SSL_CERT_FILE={settings.kafka_ssl_cert_file} "
                f"with KAFKA_SSL_KEY_FILE={settings.kafka_ssl_key_file} cannot be loaded "
                f"({error}): check both files (PEM, the key matching the certificate) and "
                "KAFKA_SSL_KEY_PASSWORD") from error
    return context


def _unanswered(causes: list[BaseException], error: BaseException) -> bool:
    """Whether the broker merely did not answer (retry), not refused us (do not)."""
    refusals = (SaslAuthenticationFailed, AuthenticationFailedError,
                UnsupportedSaslMechanismError, ssl.SSLError, *_AUTHORIZATION)
    return not any(isinstance(c, refusals) for c in (*causes, error))


_causes: contextvars.ContextVar[list[BaseException] | None] = contextvars.ContextVar(
    "polku_kafka_bootstrap_causes", default=None)


class _BootstrapCause(logging.Handler):
    """Keeps the exception of aiokafka's 'Unable connect to' log records for the start that
    is running in this context (its own task and the tasks it made)."""

    def emit(self, record: logging.LogRecord) -> None:
        causes = _causes.get()
        if (causes is not None and str(record.msg).startswith("Unable connect to")
                and isinstance(record.args, tuple) and record.args):
            last = record.args[-1]
            if isinstance(last, BaseException):
                causes.append(last)


_HANDLER = _BootstrapCause(level=logging.WARNING)
logging.getLogger("aiokafka").addHandler(_HANDLER)  # aiokafka/client.py logs there


@contextmanager
def _bootstrap_failures() -> Iterator[list[BaseException]]:
    causes: list[BaseException] = []
    token = _causes.set(causes)
    try:
        yield causes
    finally:
        _causes.reset(token)
