"""A service's AsyncAPI document: FastStream's channels and operations, one message per event.

FastStream describes a topic with one message (the envelope, `data` any object). A partner
generating code needs each event type's own schema, so every channel on a service topic of
the published language lists one message per `(type, dataversion)` of the contracts
registry: the CloudEvents envelope with `type`, `dataversion` and `source` fixed and `data`
the event model's JSON Schema. A send operation carries every message of its topic (the
relay and `polku republish` send stored events of any version); a receive operation those
its consumer subscribes to. Components nothing refers to any more are dropped.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from pydantic.json_schema import models_json_schema

from contracts.envelope import Envelope
from contracts.events.base import Event
from contracts.registry import EVENTS_BY_TOPIC, all_models, topic_of
from contracts.topics import SERVICE_TOPICS, SOURCES

if TYPE_CHECKING:
    from services.runtime.intake import ConsumerSpec
    from services.runtime.service import ServiceDefinition

Document = dict[str, Any]
SCHEMAS = "#/components/schemas/"
MESSAGES = "#/components/messages/"
_UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_SERVICE_OF_TOPIC = {topic: service for service, topic in SERVICE_TOPICS.items()}
KAFKA_BINDING_VERSION = "0.5.0"


def message_name(model: type[Event]) -> str:
    """The message's key in the document, e.g. `ReferralMade.v1`."""
    return f"{model.event_type}.v{model.data_version}"


def payload_name(model: type[Event]) -> str:
    """The envelope schema's key (and title), e.g. `ReferralMadeV1Event`."""
    return f"{model.event_type}V{model.data_version}Event"


def asyncapi_document(
    definition: ServiceDefinition, broker: KafkaBroker, consumers: Sequence[ConsumerSpec] = ()
) -> Document:
    """`/asyncapi.json` and docs/api/<service>.asyncapi.json: what the service publishes and
    consumes, each event type a message of its own."""
    document: Document = (
        AsyncAPI(broker, title=f"Polku {definition.name}", version="1.0.0",
                 description=definition.description or definition.title)
        .to_specification()
        .to_jsonable()
    )
    subscribed = {f"{spec.name}-consumer": _accepted(spec) for spec in consumers}
    return with_event_messages(document, subscribed)


def _accepted(spec: ConsumerSpec) -> frozenset[str] | None:
    """The event types a consumer takes in; None: every type of its topics."""
    return None if spec.accept_unsubscribed else spec.subscribed_types


def with_event_messages(
    document: Document, subscribed: Mapping[str, frozenset[str] | None] | None = None
) -> Document:
    """The document with one message per event type on every service-topic channel;
    `subscribed` names, per subscriber title, the types its receive operation takes."""
    messages, schemas = _event_components()
    channels: dict[str, Any] = document.get("channels", {})
    components = document.setdefault("components", {})
    for channel in channels.values():
        models = _models_on(channel.get("address", ""))
        if models:
            channel["messages"] = {message_name(m): {"$ref": MESSAGES + message_name(m)}
                                   for m in models}
    for operation in document.get("operations", {}).values():
        channel_name = operation["channel"]["$ref"].rsplit("/", 1)[-1]
        models = _models_on(channels[channel_name].get("address", ""))
        if not models:
            continue
        if operation.get("action") == "receive":
            models = _taken(models, _subscriber_types(channel_name, subscribed or {}))
        operation["messages"] = [
            {"$ref": f"#/channels/{channel_name}/messages/{message_name(m)}"} for m in models]
    components.setdefault("messages", {}).update(copy.deepcopy(messages))
    components.setdefault("schemas", {}).update(copy.deepcopy(schemas))
    _drop_unreferenced(document)
    return document


def _models_on(topic: str) -> list[type[Event]]:
    if topic not in EVENTS_BY_TOPIC:
        return []
    return [m for m in all_models() if topic_of(m.event_type) == topic]


def _subscriber_types(
    channel_name: str, subscribed: Mapping[str, frozenset[str] | None]
) -> frozenset[str] | None:
    # FastStream names a subscriber's channel by its title, `<title>:<topic>` when the
    # subscriber reads several topics.
    for title, types in subscribed.items():
        if channel_name == title or channel_name.startswith(f"{title}:"):
            return types
    return None


def _taken(models: list[type[Event]], types: frozenset[str] | None) -> list[type[Event]]:
    return models if types is None else [m for m in models if m.event_type in types]


@functools.cache
def _event_components() -> tuple[dict[str, Any], dict[str, Any]]:
    """Every registered event as (messages, schemas) components; built once per process."""
    models = all_models()
    keys, top = models_json_schema(
        [(Envelope, "validation"), *((m, "validation") for m in models)],
        ref_template=SCHEMAS + "{model}",
    )
    schemas: dict[str, Any] = dict(top.get("$defs", {}))
    envelope_ref = keys[(Envelope, "validation")]["$ref"]
    envelope = schemas[envelope_ref.removeprefix(SCHEMAS)]
    messages: dict[str, Any] = {}
    for model in models:
        data_ref = keys[(model, "validation")]["$ref"]
        schemas[payload_name(model)] = _payload(envelope, model, data_ref)
        messages[message_name(model)] = _message(model)
    return messages, schemas


def _payload(envelope: Mapping[str, Any], model: type[Event], data_ref: str) -> dict[str, Any]:
    """The envelope schema for one event type and version."""
    payload = copy.deepcopy(dict(envelope))
    properties = payload["properties"]
    source = SOURCES[_SERVICE_OF_TOPIC[topic_of(model.event_type)]]
    properties["type"] = {"const": model.event_type, "type": "string", "title": "Type"}
    properties["dataversion"] = {"const": model.data_version, "type": "integer",
                                 "title": "Dataversion"}
    properties["source"] = {"const": source, "type": "string", "title": "Source"}
    properties["subject"] = {
        "type": "string", "title": "Subject", "pattern": f"^{model.stream_kind}:{_UUID}$",
        "description": f"The stream: `{model.stream_kind}:<{model.stream_id_field}>`."}
    properties["data"] = {"$ref": data_ref}
    payload["title"] = payload_name(model)
    payload["description"] = (
        f"One {model.event_type} event (dataversion {model.data_version}) in its CloudEvents "
        "envelope (EVENTS.md); unknown extension attributes may appear.")
    return payload


def _message(model: type[Event]) -> dict[str, Any]:
    topic = topic_of(model.event_type)
    return {
        "name": model.event_type,
        "title": f"{model.event_type} v{model.data_version}",
        "summary": f"{model.event_type} of the {_SERVICE_OF_TOPIC[topic]} service on {topic}, "
                   f"dataversion {model.data_version} (EVENTS.md).",
        "contentType": "application/json",
        "payload": {"$ref": SCHEMAS + payload_name(model)},
        "correlationId": {"location": "$message.payload#/correlationid"},
        "bindings": {"kafka": {
            "bindingVersion": KAFKA_BINDING_VERSION,
            "key": {"type": "string",
                    "description": "clientid, or subject when the event has no client"},
        }},
    }


def _refs(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _drop_unreferenced(document: Document) -> None:
    """Remove component messages and schemas that nothing reachable refers to."""
    components = document["components"]
    seen: set[str] = set()
    pending = list(_refs({k: v for k, v in document.items() if k != "components"}))
    while pending:
        ref = pending.pop()
        if ref in seen or not ref.startswith("#/components/"):
            continue
        seen.add(ref)
        kind, _, name = ref.removeprefix("#/components/").partition("/")
        pending.extend(_refs(components.get(kind, {}).get(name)))
    for kind in ("messages", "schemas"):
        section = components.get(kind, {})
        for name in [n for n in section if f"#/components/{kind}/{n}" not in seen]:
            del section[name]
