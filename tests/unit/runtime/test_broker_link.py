"""Which Kafka failures stop a service's start-up (a refusal: the login, the certificate, an
ACL — waiting does not mend them) and which it serves through (a broker that does not answer,
or not in time, may come back: readiness does not depend on it)."""

from __future__ import annotations

from aiokafka.errors import KafkaConnectionError, SaslAuthenticationFailed

from services.runtime.broker_link import is_refusal
from services.runtime.kafka_clients import KafkaSetupError


def caused(error: KafkaSetupError, cause: BaseException) -> KafkaSetupError:
    error.__cause__ = cause
    return error


def test_a_refused_login_or_permission_is_a_refusal() -> None:
    login = caused(KafkaSetupError("refused the SASL login: check KAFKA_SASL_PASSWORD"),
                   SaslAuthenticationFailed())
    assert is_refusal(login)
    assert is_refusal(KafkaSetupError("does not allow KAFKA_SASL_USERNAME=x to describe"))


def test_a_broker_that_does_not_answer_is_not_a_refusal() -> None:
    unanswered = caused(KafkaSetupError("did not answer", retryable=True),
                        KafkaConnectionError())
    assert not is_refusal(unanswered)
    # ensure_topics gives up after its timeout with a wrapper around the unanswered start
    assert not is_refusal(caused(KafkaSetupError("did not answer within 5 s"), unanswered))
    # a start that timed out (a broker away behind a firewall, or still starting)
    assert not is_refusal(caused(KafkaSetupError("did not complete the connection"),
                                 TimeoutError()))
    assert not is_refusal(OSError("connection refused"))
    assert not is_refusal(KafkaConnectionError())
