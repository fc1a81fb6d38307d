"""What a consumer accepts: records parsed through the contracts registry and sorted into
events for the handler and dead letters with their reasons."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from uuid import UUID

import asyncpg
from aiokafka.structs import ConsumerRecord
from pydantic import BaseModel, ValidationError

from contracts.envelope import Envelope
from contracts.registry import UnknownEventType, parse_data


@dataclass(frozen=True)
class ConsumedEvent:
    envelope: Envelope
    data: BaseModel
    topic: str
    partition: int
    offset: int

    @property
    def event_id(self) -> UUID:
        return self.envelope.id

    @property
    def type(self) -> str:
        return self.envelope.type


Handler = Callable[[asyncpg.Connection, list[ConsumedEvent]], Awaitable[None]]


@dataclass(frozen=True)
class ConsumerSpec:
    """What a service consumes: its name (consumer group, DLQ suffix), topics and handler."""

    name: str
    topics: tuple[str, ...]
    subscribed_types: frozenset[str]
    handler: Handler
    # A consumer that deduplicates as part of its own effects (reporting's event_log)
    # can switch off the shared processed_events bookkeeping.
    dedup: bool = True
    # Reporting wants raw envelopes even of types it does not interpret.
    accept_unsubscribed: bool = False
    # Which of these event ids the consumer has taken in (the consistency token's wait);
    # None: the ids recorded in processed_events (dedup consumers record every id they
    # pass, handled or not their business).
    seen: Callable[[asyncpg.Pool, list[UUID]], Awaitable[set[UUID]]] | None = None


@dataclass
class DeadLetter:
    record: ConsumerRecord
    reason: str
    detail: str


@dataclass(frozen=True)
class Passed:
    """An event not the consumer's business: recorded as seen, never handled."""

    event_id: UUID
    topic: str
    partition: int
    offset: int


@dataclass
class Sorted:
    events: list[ConsumedEvent] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    passed: list[Passed] = field(default_factory=list)


def classify(spec: ConsumerSpec, records: Sequence[ConsumerRecord]) -> Sorted:
    """Parse records through the contracts registry; sort into events and dead letters."""
    out = Sorted()
    for record in records:
        try:
            envelope = Envelope.model_validate_json(record.value or b"")
        except ValidationError as error:
            out.dead.append(DeadLetter(record, "unparseable", short_reason(error)))
            continue
        subscribed = envelope.type in spec.subscribed_types
        if not subscribed and not spec.accept_unsubscribed:
            out.passed.append(Passed(envelope.id, record.topic, record.partition, record.offset))
            continue
        try:
            data = parse_data(envelope)
        except UnknownEventType as error:
            if subscribed:
                out.dead.append(DeadLetter(record, "unknown-type", short_reason(error)))
            continue
        except ValidationError as error:
            out.dead.append(DeadLetter(record, "schema-invalid", short_reason(error)))
            continue
        out.events.append(
            ConsumedEvent(envelope, data, record.topic, record.partition, record.offset)
        )
    return out


def short_reason(error: Exception) -> str:
    return str(error).replace("\n", " ")[:500]
