"""An ACL refusal met while a Kafka client starts (a consumer's group, a topic, the cluster, a
transactional id) is a refusal naming the principal, not "did not answer": a service stops at
start-up with it instead of retrying forever, and a command exits with it (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
    TransactionalIdAuthorizationFailed,
)

from services.runtime.broker_link import is_refusal
from services.runtime.kafka_clients import KafkaConnection, KafkaSetupError

SERVERS = "kafka-1.example:9093"
SCRAM = KafkaConnection(SERVERS, "SASL_SSL", None, "SCRAM-SHA-512", "polku-referral")


async def start_failing_with(kafka: KafkaConnection, error: BaseException) -> KafkaSetupError:
    async def start() -> None:
        raise error

    with pytest.raises(KafkaSetupError) as refused:
        await kafka.started(start)
    return refused.value


@pytest.mark.parametrize(("error", "what"), [
    (GroupAuthorizationFailedError("polku-assessment"), "use the consumer group"),
    (TopicAuthorizationFailedError("polku.referral.v1"), "use the topic"),
    (ClusterAuthorizationFailedError(), "act on the cluster"),
    (TransactionalIdAuthorizationFailed(), "use the transactional id"),
])
async def test_an_acl_refusal_at_start_names_the_principal_and_is_not_retried(
    error: KafkaError, what: str
) -> None:
    refused = await start_failing_with(SCRAM, error)
    text = str(refused)
    assert f"does not allow KAFKA_SASL_USERNAME=polku-referral to {what}" in text, text
    assert "grant it the ACL" in text
    assert "did not answer" not in text and "KAFKA_BOOTSTRAP_SERVERS" not in text
    assert not refused.retryable
    assert is_refusal(refused), "a service's start-up stops on it (broker_link.py)"


async def test_the_group_is_named_and_an_mtls_principal_is_its_certificate() -> None:
    mtls = KafkaConnection(SERVERS, "SSL", client_certificate=Path("/etc/polku/client.pem"))
    text = str(await start_failing_with(mtls, GroupAuthorizationFailedError("polku-coaching")))
    assert "the principal of KAFKA_SSL_CERT_FILE=/etc/polku/client.pem" in text
    assert "polku-coaching" in text


async def test_a_broker_that_does_not_answer_is_still_retried() -> None:
    """Guard: only refusals stop retrying."""
    unanswered = await start_failing_with(SCRAM, KafkaConnectionError("Unable to bootstrap"))
    assert unanswered.retryable and not is_refusal(unanswered)
    assert "did not answer" in str(unanswered)
