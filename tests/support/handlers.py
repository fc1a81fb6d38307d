"""Command handlers on fakes, as cosmicpython's test_handlers does: a service context whose
event store is the in-memory one (services/runtime/eventstore_memory.py) and that has no
database pool, broker or HTTP. Given events (appended as another service's command would
have), when a handler runs a command, then the events it appended or the typed error.
Services that keep an access store (assessment, coaching) get the in-memory one; `consumed`
feeds it referral events as the service's consumer of polku.referral.v1 would."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Awaitable, Sequence
from typing import Any, cast

import pytest

from contracts.codes import Role
from contracts.envelope import Envelope
from contracts.events.base import Event
from contracts.organisations import load_registry
from contracts.registry import parse_data
from contracts.topics import REFERRAL_TOPIC, SOURCES
from services.decider import DomainError
from services.runtime.access import InMemoryAccessStore, require_access_store
from services.runtime.application import CommandBus, CommandMeta, Decision, stream_appends
from services.runtime.eventstore_memory import InMemoryEventStore
from services.runtime.intake import ConsumedEvent
from services.runtime.principal import Principal
from services.runtime.service import ServiceContext
from services.runtime.settings import ServiceSettings

REGISTRY = load_registry()


def memory_context(service: str, **extras: Any) -> ServiceContext:
    """A ServiceContext with the in-memory store and bus, nothing else that runs."""
    store = InMemoryEventStore()
    bus = CommandBus(store, service=service, source=SOURCES.get(service, f"polku/{service}"))
    return ServiceContext(
        name=service, settings=ServiceSettings(), pool=cast(Any, None),
        broker=cast(Any, None), organisations=REGISTRY, verifier=cast(Any, None),
        store=store, bus=bus, extras=dict(extras), access=InMemoryAccessStore(),
    )


def meta(org: str = "kymenlaakso-sote", role: Role | str = Role.SOCIAL_WORKER,
         key: str | None = None) -> CommandMeta:
    """A command's metadata as the HTTP adapter or a subscriber would build it."""
    return CommandMeta(Principal(str(uuid.uuid4()), org, Role(role)), str(uuid.uuid4()),
                       idempotency_key=key, request_hash="digest" if key else None)


async def given(ctx: ServiceContext, *events: Event, by: CommandMeta | None = None) -> None:
    """Events in the store as if earlier commands had appended them."""
    versions: dict[str, int] = {}
    for event in events:
        stream = event.stream_id
        versions.setdefault(stream, await ctx.store.stream_version(stream))
    decision = Decision(list(events), versions)
    await ctx.store.append(stream_appends(decision, source=ctx.bus.source, meta=by or meta()))


async def appended(ctx: ServiceContext, after: int = 0) -> list[Event]:
    """Every event in the store after position `after`, parsed through the contracts."""
    stored = await ctx.store.read_from_position(after + 1, 100_000)
    return [parse_data(Envelope.model_validate(json.loads(e.envelope))) for e in stored]


async def position(ctx: ServiceContext) -> int:
    stored: Sequence[Any] = await ctx.store.read_from_position(1, 100_000)
    return len(stored)


async def refuses(ctx: ServiceContext, kind: type[DomainError], command: Awaitable[Any],
                  containing: str = "") -> DomainError:
    """The command raises `kind` (a typed domain error) and appends nothing."""
    before = await position(ctx)
    with pytest.raises(kind) as raised:
        await command
    assert containing in raised.value.detail
    assert await appended(ctx, before) == []
    return raised.value


# Referral events consumed (assessment, coaching) ------------------------------------------


def consumed_events(*events: Event, by: str = "kymenlaakso-sote",
                    role: Role = Role.SOCIAL_WORKER) -> list[ConsumedEvent]:
    """Referral events as the consumer takes them in: each in its envelope, recorded by
    organisation `by` (the envelope's actororg, which the access policy reads), serialised
    and parsed back through the contracts."""
    versions: dict[str, int] = {}
    batch = []
    for offset, event in enumerate(events):
        versions[event.stream_id] = versions.get(event.stream_id, 0) + 1
        envelope = Envelope.model_validate_json(Envelope.for_event(
            event, source=SOURCES["referral"], streamversion=versions[event.stream_id],
            correlationid=str(uuid.uuid4()), actororg=by, actorrole=role,
            actor=str(uuid.uuid4()),
        ).to_json_bytes())
        batch.append(ConsumedEvent(envelope, parse_data(envelope), REFERRAL_TOPIC, 0, offset))
    return batch


async def consumed(ctx: ServiceContext, *events: Event, by: str = "kymenlaakso-sote",
                   role: Role = Role.SOCIAL_WORKER) -> list[ConsumedEvent]:
    """Referral events the service has consumed: recorded in its access store."""
    batch = consumed_events(*events, by=by, role=role)
    await require_access_store(ctx.access).record(batch)
    return batch


class ConsumerConnection:
    """The consumer's connection, for a consumer's handler run on the memory stores: they
    ignore it, and its savepoints are no-ops because a memory append commits whole or not
    at all."""

    def transaction(self) -> contextlib.AbstractAsyncContextManager[None]:
        return contextlib.nullcontext()

