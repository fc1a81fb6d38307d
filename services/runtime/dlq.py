"""Dead-letter topics: list what is there, and replay it to the original topics."""

from __future__ import annotations

import json
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import GroupAuthorizationFailedError, TopicAuthorizationFailedError

from contracts.topics import dlq_topic
from services.runtime.kafka_clients import KafkaConnection, refused


@dataclass(frozen=True)
class DeadLetterMessage:
    consumer: str
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, str]

    @property
    def event_id(self) -> str | None:
        if "ce_id" in self.headers:  # a binary-mode event (intake.py)
            return self.headers["ce_id"]
        try:
            return str(json.loads(self.value).get("id"))
        except (ValueError, AttributeError):
            return None

    def original_headers(self) -> list[tuple[str, bytes]]:
        """The record's own headers, without the dead letter's (a binary-mode event's
        attributes travel in them)."""
        return [(k, v.encode()) for k, v in self.headers.items() if not k.startswith("dlq-")]

    def describe(self) -> str:
        h = self.headers
        return (
            f"{self.consumer}@{self.offset}: reason={h.get('dlq-reason')} "
            f"from={h.get('dlq-topic')}[{h.get('dlq-partition')}]@{h.get('dlq-offset')} "
            f"event={self.event_id} detail={h.get('dlq-detail', '')[:160]}"
        )


async def partitions_of(kafka: KafkaConnection, topic: str) -> list[int]:
    admin = kafka.admin()
    try:
        await kafka.start(admin)
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    if any(t.get("error_code") == TopicAuthorizationFailedError.errno for t in described):
        raise refused(kafka, f"describe the topic {topic}")
    return sorted(p["partition"] for t in described if t.get("error_code", 0) == 0
                  for p in t.get("partitions", []))


async def _read(
    kafka: KafkaConnection, consumer_name: str, group_id: str | None
) -> tuple[list[DeadLetterMessage], AIOKafkaConsumer]:
    """The letters of the consumer's DLQ (from `group_id`'s offsets, or all of them), and the
    started consumer that read them. A principal that may not read the topic, or use the
    group, gets the named refusal (KafkaSetupError), not the client's traceback."""
    topic = dlq_topic(consumer_name)
    tps = [TopicPartition(topic, p) for p in await partitions_of(kafka, topic)]
    consumer = kafka.consumer(group_id=group_id, enable_auto_commit=False,
                              auto_offset_reset="earliest")
    await kafka.start(consumer)
    try:
        return await _letters(consumer, consumer_name, tps, group_id), consumer
    except TopicAuthorizationFailedError as error:
        await consumer.stop()
        raise refused(kafka, f"read the topic {topic} ({error})") from error
    except GroupAuthorizationFailedError as error:
        await consumer.stop()
        raise refused(kafka, f"use the consumer group {group_id} ({error})") from error
    except BaseException:
        await consumer.stop()
        raise


async def _letters(consumer: AIOKafkaConsumer, consumer_name: str, tps: list[TopicPartition],
                   group_id: str | None) -> list[DeadLetterMessage]:
    if not tps:
        return []
    consumer.assign(tps)
    end = await consumer.end_offsets(tps)
    if group_id is None:
        await consumer.seek_to_beginning(*tps)
    out: list[DeadLetterMessage] = []
    remaining = {tp for tp in tps if await consumer.position(tp) < end[tp]}
    while remaining:
        batch = await consumer.getmany(*remaining, timeout_ms=1000)
        for tp, records in batch.items():
            for r in records:
                if r.offset < end[tp]:
                    out.append(
                        DeadLetterMessage(
                            consumer_name, r.offset, r.key, r.value or b"",
                            {k: v.decode() for k, v in r.headers},
                        )
                    )
        remaining = {tp for tp in remaining if await consumer.position(tp) < end[tp]}
    return out


async def read_dead_letters(
    kafka: KafkaConnection, consumers: list[str]
) -> list[DeadLetterMessage]:
    letters: list[DeadLetterMessage] = []
    for name in consumers:
        found, consumer = await _read(kafka, name, None)
        await consumer.stop()
        letters.extend(found)
    return letters


async def replay_dead_letters(kafka: KafkaConnection, consumer_name: str) -> int:
    """Re-publish not-yet-replayed dead letters to their original topics with their keys.

    Progress is a consumer-group offset, so a second replay sends only newer letters.
    Consumers that already applied an event ignore it (deduplication by id).
    """
    letters, consumer = await _read(kafka, consumer_name, f"polku-dlq-replay-{consumer_name}")
    producer = kafka.producer(enable_idempotence=True, acks="all")
    try:
        await kafka.start(producer)
        for letter in letters:
            original = letter.headers.get("dlq-topic")
            if original:
                await producer.send_and_wait(original, letter.value, key=letter.key,
                                             headers=letter.original_headers())
        await producer.flush()
        await consumer.commit()
    finally:
        await producer.stop()
        await consumer.stop()
    return len(letters)
