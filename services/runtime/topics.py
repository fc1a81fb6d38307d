"""Topic administration: services create the topics they produce or consume when missing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from services.runtime.logging import get_logger

log = get_logger(__name__)

# Service topics are the published history: keep everything (retention.ms=-1).
KEEP_FOREVER = {"retention.ms": "-1", "retention.bytes": "-1"}


async def ensure_topics(
    bootstrap: str,
    topics: Iterable[str],
    *,
    partitions: int = 3,
    replication_factor: int = 1,
    config: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> None:
    """Create missing topics; wait for the broker while it is starting (up to `timeout`)."""
    wanted = sorted(set(topics))
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [t for t in wanted if t not in existing]
            if missing:
                try:
                    await admin.create_topics(
                        [
                            NewTopic(t, partitions, replication_factor, topic_configs=config or {})
                            for t in missing
                        ]
                    )
                    log.info("topics.created", topics=missing, partitions=partitions)
                except TopicAlreadyExistsError:
                    pass
            return
        except (KafkaConnectionError, OSError) as error:
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(
                    f"Kafka at {bootstrap} did not answer within {timeout:.0f} s ({error!r}); "
                    "start it (polku up) or set KAFKA_BOOTSTRAP_SERVERS"
                ) from error
            await asyncio.sleep(0.5)
        finally:
            await admin.close()


async def delete_topics(bootstrap: str, topics: Iterable[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics(list(topics))
    finally:
        await admin.close()
