"""What a consumer accepts: records parsed through the contracts registry and sorted into
events for the handler and dead letters with their reasons.

A record is a CloudEvent in either content mode of the CloudEvents Kafka protocol binding:
structured (the envelope as the JSON value: what Polku publishes) or binary (the attributes in
`ce_` headers, `content-type` the datacontenttype, the value the data itself: what a partner's
producer may send). Both go through the same envelope and schema validation.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
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


class MalformedRecord(ValueError):
    """A record that is a CloudEvent in neither content mode (the dead letter's detail)."""


CE_PREFIX = "ce_"
_STRUCTURED = "application/cloudevents"  # +json, the JSON event format
_JSON = "application/json"


def record_headers(record: ConsumerRecord) -> dict[str, bytes]:
    """The record's headers by lower-cased name; a name given twice with two values is
    ambiguous and refused."""
    headers: dict[str, bytes] = {}
    for name, value in record.headers or ():
        key = name.lower()
        raw = value or b""
        if headers.get(key, raw) != raw:
            raise MalformedRecord(f"header {key} appears twice with different values")
        headers[key] = raw
    return headers


def _media_type(content_type: bytes) -> tuple[str, dict[str, str]]:
    """`application/json; charset=utf-8` → ("application/json", {"charset": "utf-8"})."""
    kind, *params = content_type.decode("utf-8", "replace").split(";")
    parameters = {}
    for param in params:
        name, _, value = param.partition("=")
        parameters[name.strip().lower()] = value.strip().strip('"').lower()
    return kind.strip().lower(), parameters


def is_binary_mode(headers: dict[str, bytes]) -> bool:
    """The binding's rule: a content type of the CloudEvents media type means structured
    mode; otherwise a `ce_specversion` header means binary mode."""
    content_type = headers.get("content-type")
    if content_type is not None and _media_type(content_type)[0].startswith(_STRUCTURED):
        return False
    return f"{CE_PREFIX}specversion" in headers


def _binary_attributes(headers: dict[str, bytes]) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    for name, raw in headers.items():
        if not name.startswith(CE_PREFIX):
            continue
        attribute = name[len(CE_PREFIX):]
        if attribute in ("", "data", "data_base64", "datacontenttype"):
            raise MalformedRecord(f"header {name} is not a CloudEvents attribute header "
                                  "(the data is the record value, its type the content-type)")
        try:
            attributes[attribute] = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedRecord(f"header {name} is not UTF-8") from None
    return attributes


def _binary_envelope(record: ConsumerRecord, headers: dict[str, bytes]) -> Envelope:
    """Rebuild the envelope from the `ce_` headers and the value (the data)."""
    attributes = _binary_attributes(headers)
    content_type = headers.get("content-type")
    if content_type:  # absent (or empty): JSON, the envelope's default
        kind, parameters = _media_type(content_type)
        if kind != _JSON or parameters.get("charset", "utf-8") != "utf-8":
            raise MalformedRecord(
                f"content-type {content_type.decode('utf-8', 'replace')!r}: the data of a "
                f"binary-mode event must be {_JSON} (UTF-8)")
    if record.value is None:
        raise MalformedRecord("the record has no value: a binary-mode event's value is its data")
    try:
        data = json.loads(record.value)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedRecord(f"the record value (the data) is not JSON: {error}") from None
    return Envelope.model_validate({**attributes, "datacontenttype": _JSON, "data": data})


def envelope_of(record: ConsumerRecord) -> Envelope:
    """The record's CloudEvent in structured or binary content mode; raises ValidationError
    or MalformedRecord naming what is wrong."""
    headers = record_headers(record)
    if is_binary_mode(headers):
        try:
            return _binary_envelope(record, headers)
        except (ValidationError, MalformedRecord) as error:
            raise MalformedRecord(f"binary mode: {short_reason(error)}") from None
    return Envelope.model_validate_json(record.value or b"")


def classify(spec: ConsumerSpec, records: Sequence[ConsumerRecord]) -> Sorted:
    """Parse records through the contracts registry; sort into events and dead letters."""
    out = Sorted()
    for record in records:
        try:
            envelope = envelope_of(record)
        except (ValidationError, MalformedRecord) as error:
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
