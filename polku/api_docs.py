"""`polku api-docs`: the OpenAPI and AsyncAPI documents of the four services, as files.

docs/api/<service>.openapi.json is the service's HTTP API (`/openapi.json` of the running
service); docs/api/<service>.asyncapi.json what it publishes and consumes (`/asyncapi.json`),
built on a broker wired like a running service's (its published topic and every consumer's
subscriber) but never connected, with one message per event type and its JSON Schema
(services/runtime/asyncapi.py). Output is deterministic (sorted keys, two-space indent),
so a test can compare the committed files with what the code generates now.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from faststream.kafka import KafkaBroker

from contracts.organisations import load_registry
from contracts.topics import SOURCES
from services.runtime.access.store import InMemoryAccessStore
from services.runtime.application import CommandBus
from services.runtime.asyncapi import asyncapi_document
from services.runtime.consumer import BatchConsumer
from services.runtime.eventstore import PostgresEventStore
from services.runtime.http import TokenVerifier
from services.runtime.intake import ConsumerSpec
from services.runtime.service import (
    ServiceContext,
    ServiceDefinition,
    create_app,
    document_broker,
    make_broker,
)
from services.runtime.settings import ServiceSettings

SERVICES = ("referral", "assessment", "coaching", "reporting")
TARGET = Path("docs/api")
# The documented broker address: the local default (`polku up`), whatever the environment says.
DOCUMENTED_BOOTSTRAP = "127.0.0.1:9092"


def definition_of(name: str) -> ServiceDefinition:
    definition: ServiceDefinition = importlib.import_module(f"services.{name}.app").definition
    return definition


def docs_settings() -> ServiceSettings:
    """Settings for generating documents: defaults plus the documented broker address, so
    the output does not depend on the environment it is generated in."""
    return ServiceSettings(kafka_bootstrap_servers=DOCUMENTED_BOOTSTRAP)


def openapi(definition: ServiceDefinition, settings: ServiceSettings | None = None) -> Any:
    """The service's OpenAPI document, as `/openapi.json` serves it (no lifespan runs)."""
    return create_app(definition, settings or docs_settings()).openapi()


def consumer_specs(
    definition: ServiceDefinition, settings: ServiceSettings, broker: KafkaBroker | None = None
) -> Sequence[ConsumerSpec]:
    """The service's consumers as start_context builds them, from a context that connects to
    nothing (no pool, an in-memory access store)."""
    broker = broker or make_broker(settings, definition.name)
    store = PostgresEventStore(cast(Any, None))
    ctx = ServiceContext(
        name=definition.name,
        settings=settings,
        pool=cast(Any, None),
        broker=broker,
        organisations=load_registry(settings.polku_organisations_file),
        verifier=TokenVerifier.from_settings(settings),
        store=store,
        bus=CommandBus(store, service=definition.name,
                       source=SOURCES.get(definition.name, f"polku/{definition.name}")),
        access=InMemoryAccessStore(),
    )
    return definition.consumers(ctx)


def asyncapi(definition: ServiceDefinition, settings: ServiceSettings | None = None) -> Any:
    """The service's AsyncAPI document: its broker with the published topic and the
    subscriber of every consumer, as start_context wires them, without a database."""
    settings = settings or docs_settings()
    broker = make_broker(settings, definition.name)
    document_broker(definition, broker)
    specs = consumer_specs(definition, settings, broker)
    for spec in specs:
        BatchConsumer(spec, pool=cast(Any, None), broker=broker,
                      max_records=settings.polku_consumer_max_records,
                      retries=settings.polku_consumer_retries)
    return asyncapi_document(definition, broker, specs)


def dump(document: Any) -> str:
    return json.dumps(document, sort_keys=True, indent=2) + "\n"


def render_all() -> dict[str, str]:
    """File name → text of every document, in service order."""
    settings = docs_settings()
    files: dict[str, str] = {}
    for name in SERVICES:
        definition = definition_of(name)
        files[f"{name}.openapi.json"] = dump(openapi(definition, settings))
        files[f"{name}.asyncapi.json"] = dump(asyncapi(definition, settings))
    return files


def write(target: Path = TARGET) -> list[Path]:
    """Write every document to `target` (created when missing); returns the paths written."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_all().items():
        path = target / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
