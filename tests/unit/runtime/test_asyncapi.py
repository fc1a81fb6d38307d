"""The AsyncAPI documents a partner generates code from: a valid AsyncAPI 3.0 document per
service, one message per event type of the contracts registry with the envelope and the
event model's schema, and the receive operations naming what each consumer takes in."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any
from uuid import UUID

import jsonschema
import pytest

from contracts.envelope import Envelope
from contracts.events.base import Event
from contracts.registry import REGISTRY, all_models, topic_of
from contracts.topics import SERVICE_TOPICS, SOURCES
from polku.api_docs import SERVICES, asyncapi, consumer_specs, definition_of, docs_settings
from services.runtime.asyncapi import message_name
from tests.unit.contracts.contract_samples import EVENT_SAMPLES

# The official JSON Schema of AsyncAPI 3.0.0 (npm @asyncapi/specs 6.11.1, Apache-2.0,
# schemas/3.0.0-without-$id.json; see NOTICE beside it): PyPI carries none.
ASYNCAPI_SCHEMA = Path(__file__).parents[2] / "support" / "asyncapi" / "asyncapi-3.0.0.schema.json"
SERVICE_OF_TOPIC = {topic: service for service, topic in SERVICE_TOPICS.items()}


@cache
def document(service: str) -> dict[str, Any]:
    return asyncapi(definition_of(service))  # type: ignore[no-any-return]


def resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [
            r for k, v in node.items() if k != "$ref" for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


def topic_messages(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Channel address → the channel's messages, for the service topics."""
    return {ch["address"]: ch["messages"] for ch in doc["channels"].values()
            if ch["address"] in SERVICE_OF_TOPIC}


def models_of(topic: str) -> list[type[Event]]:
    return [m for m in all_models() if topic_of(m.event_type) == topic]


def payload_schema(doc: dict[str, Any], model: type[Event]) -> dict[str, Any]:
    message = doc["components"]["messages"][message_name(model)]
    return resolve(doc, message["payload"]["$ref"])  # type: ignore[no-any-return]


def sample_envelope(event_type: str) -> dict[str, Any]:
    model = REGISTRY.model_for(event_type, REGISTRY.latest_version(event_type))
    event = model.model_validate(EVENT_SAMPLES[event_type])
    envelope = Envelope.for_event(
        event, source=SOURCES[SERVICE_OF_TOPIC[topic_of(event_type)]], streamversion=1,
        correlationid="c-1", actororg="kymenlaakso-sote", actorrole="social_worker",
        actor=str(UUID(int=7)))
    return envelope.model_dump(mode="json", exclude_none=True)


def payload_validator(doc: dict[str, Any], model: type[Event]) -> jsonschema.Validator:
    message = doc["components"]["messages"][message_name(model)]
    schema = {"components": doc["components"], "$ref": message["payload"]["$ref"]}
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


@pytest.mark.parametrize("service", SERVICES)
def test_the_document_is_valid_asyncapi_3(service: str) -> None:
    schema = json.loads(ASYNCAPI_SCHEMA.read_text(encoding="utf-8"))
    errors = [f"{list(e.absolute_path)}: {e.message[:200]}"
              for e in jsonschema.Draft7Validator(schema).iter_errors(document(service))]
    assert errors == []
    assert document(service)["asyncapi"] == "3.0.0"


@pytest.mark.parametrize("service", SERVICES)
def test_every_reference_resolves_and_operations_use_their_channels_messages(
    service: str,
) -> None:
    doc = document(service)
    for ref in refs(doc):
        resolve(doc, ref)
    for operation in doc["operations"].values():
        channel = operation["channel"]["$ref"]
        assert operation["messages"], operation
        for message in operation["messages"]:
            assert message["$ref"].startswith(f"{channel}/messages/"), (channel, message)


@pytest.mark.parametrize("service", SERVICES)
def test_every_event_type_of_the_services_topics_is_a_message_of_its_own(service: str) -> None:
    doc = document(service)
    channels = topic_messages(doc)
    expected_topics = {SERVICE_TOPICS[service]} if service in SERVICE_TOPICS else set()
    expected_topics |= {t for spec in consumer_specs(definition_of(service), docs_settings())
                        for t in spec.topics}
    assert set(channels) == expected_topics
    for topic, messages in channels.items():
        assert set(messages) == {message_name(m) for m in models_of(topic)}, topic
        for model in models_of(topic):
            payload = payload_schema(doc, model)
            properties = payload["properties"]
            assert properties["type"]["const"] == model.event_type
            assert properties["dataversion"]["const"] == model.data_version
            assert properties["source"]["const"] == SOURCES[SERVICE_OF_TOPIC[topic]]
            data = resolve(doc, properties["data"]["$ref"])
            assert set(data["properties"]) == set(model.model_fields), model.event_type
            assert set(data["required"]) == {
                name for name, f in model.model_fields.items() if f.is_required()}
            assert data["additionalProperties"] is False


@pytest.mark.parametrize("event_type", sorted(EVENT_SAMPLES))
def test_a_published_envelope_validates_against_its_message_and_no_other(event_type: str) -> None:
    envelope = sample_envelope(event_type)
    topic = topic_of(event_type)
    doc = document(SERVICE_OF_TOPIC[topic])
    own, *_ = (m for m in models_of(topic) if m.event_type == event_type)
    assert list(payload_validator(doc, own).iter_errors(envelope)) == []
    # The same data under another type of the topic is refused: the schemas discriminate.
    other = next(m for m in models_of(topic) if m.event_type != event_type)
    assert list(payload_validator(doc, other).iter_errors(envelope))
    # And a field the model does not have is refused in `data`.
    extra = {**envelope, "data": {**envelope["data"], "name": "Maija"}}
    assert list(payload_validator(doc, own).iter_errors(extra))


@pytest.mark.parametrize("service", SERVICES)
def test_send_carries_every_message_and_receive_what_the_consumer_takes(service: str) -> None:
    doc = document(service)
    specs = consumer_specs(definition_of(service), docs_settings())
    for name, operation in doc["operations"].items():
        channel = resolve(doc, operation["channel"]["$ref"])
        names = {m["$ref"].rsplit("/", 1)[-1] for m in operation["messages"]}
        types = {n.split(".v")[0] for n in names}
        on_topic = {m.event_type for m in models_of(channel["address"])}
        if operation["action"] == "send":
            assert types == on_topic, name
            continue
        spec, = (s for s in specs if name.startswith(f"{s.name}-consumer"))
        wanted = on_topic if spec.accept_unsubscribed else on_topic & spec.subscribed_types
        assert types == wanted, name


def test_assessment_receives_only_the_access_events_of_the_referral_topic() -> None:
    doc = document("assessment")
    received = {m["$ref"].rsplit("/", 1)[-1]
                for op in doc["operations"].values() if op["action"] == "receive"
                for m in op["messages"]}
    assert "ReferralMade.v1" in received
    assert "ClientFeedbackGiven.v1" not in received


def test_no_generic_envelope_message_is_left() -> None:
    for service in SERVICES:
        doc = document(service)
        for schema in doc["components"]["schemas"].values():
            data = schema.get("properties", {}).get("data", {})
            assert data.get("type") != "object" or "$ref" in data, service
        assert all(m.get("payload", {}).get("$ref", "").endswith("Event")
                   for m in doc["components"]["messages"].values()), service
