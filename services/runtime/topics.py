"""Topic administration: services create the topics they produce or consume when missing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from aiokafka.admin import NewTopic
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    KafkaError,
    TopicAlreadyExistsError,
    TopicAuthorizationFailedError,
    for_code,
)

from services.runtime.kafka_clients import KafkaConnection, KafkaSetupError, refused
from services.runtime.logging import get_logger

log = get_logger(__name__)

# Service topics are the published history: keep everything (retention.ms=-1).
KEEP_FOREVER = {"retention.ms": "-1", "retention.bytes": "-1"}


async def ensure_topics(
    kafka: KafkaConnection,
    topics: Iterable[str],
    *,
    partitions: int = 3,
    replication_factor: int = 1,
    config: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> None:
    """Create missing topics; wait for the broker while it is starting (up to `timeout`),
    but not after it refused the login or the certificate (KafkaSetupError at once)."""
    wanted = sorted(set(topics))
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        admin = kafka.admin(request_timeout_ms=10000)
        try:
            await kafka.start(admin)
            existing = set(await admin.list_topics())
            missing = [t for t in wanted if t not in existing]
            if missing:
                response = await admin.create_topics(
                    [
                        NewTopic(t, partitions, replication_factor, topic_configs=config or {})
                        for t in missing
                    ]
                )
                created = _created(kafka, response)
                if created:
                    log.info("topics.created", topics=created, partitions=partitions)
            return
        except KafkaSetupError as error:
            if not error.retryable:
                raise
            if asyncio.get_running_loop().time() > deadline:
                raise KafkaSetupError(
                    f"Kafka at {kafka.bootstrap_servers} did not answer within {timeout:.0f} s "
                    f"({error}); start it (polku up) or set KAFKA_BOOTSTRAP_SERVERS"
                ) from error
            await asyncio.sleep(0.5)
        finally:
            await admin.close()


def _created(kafka: KafkaConnection, response: Any) -> list[str]:
    """The topics a CreateTopics response says were made. The broker answers per topic: one
    made meanwhile by another client is fine; an ACL refusal names the principal (waiting
    does not mend it); any other error is raised with the topic's name."""
    created = []
    for topic, code, *rest in response.topic_errors:
        if code == 0:
            created.append(topic)
            continue
        kind = for_code(code)
        if kind is TopicAlreadyExistsError:
            continue
        if kind in (TopicAuthorizationFailedError, ClusterAuthorizationFailedError):
            raise refused(kafka, f"create the topic {topic} (create the topics beforehand "
                                 "with a principal that may, or grant CREATE on them)")
        message = rest[0] if rest and rest[0] else kind.__name__
        raise KafkaError(f"Kafka at {kafka.bootstrap_servers} could not create the topic "
                         f"{topic}: {message}")
    return created


async def delete_topics(kafka: KafkaConnection, topics: Iterable[str]) -> None:
    admin = kafka.admin()
    try:
        await kafka.start(admin)
        await admin.delete_topics(list(topics))
    finally:
        await admin.close()
