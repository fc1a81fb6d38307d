"""Command execution: load a stream, decide, wrap events in envelopes, append atomically.

A service's handler loads the aggregates it needs with `load`, runs its pure `decide`, and
returns a `Decision`; `execute` turns that into one append (with the Idempotency-Key
record) and the HTTP response. Idempotent replays answer from the stored record.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse

from contracts.envelope import Envelope
from contracts.events.base import Event
from contracts.registry import parse_data
from services.runtime.errors import IdempotencyReplay, ValidationFailed
from services.runtime.eventstore import (
    EventStore,
    IdempotencyRecord,
    InTransaction,
    NewEvent,
    StreamAppend,
)
from services.runtime.http import Principal, request_hash
from services.runtime.logging import get_logger
from services.runtime.metrics import EVENTS_APPENDED

log = get_logger(__name__)

S = TypeVar("S")


@dataclass(frozen=True)
class CommandMeta:
    principal: Principal
    correlation_id: str
    causation_id: str | None = None
    idempotency_key: str | None = None
    request_hash: str | None = None


@dataclass
class Decision:
    """What a command decided: events per stream (with the versions they were decided on)
    and the response the caller gets."""

    events: Sequence[Event]
    expected_versions: dict[str, int]
    status_code: int = 200
    body: dict[str, Any] = field(default_factory=dict)
    location: str | None = None
    # A side-table write committed in the same transaction as the events (optional).
    in_transaction: InTransaction | None = None


@dataclass(frozen=True)
class Loaded(Generic[S]):
    state: S
    version: int


def envelope_for(
    event: Event, *, source: str, stream_version: int, meta: CommandMeta, recorded_at: datetime
) -> Envelope:
    return Envelope.for_event(
        event,
        source=source,
        streamversion=stream_version,
        correlationid=meta.correlation_id,
        causationid=meta.causation_id,
        actororg=meta.principal.org,
        actorrole=meta.principal.role,
        actor=meta.principal.sub,
        time=recorded_at,
    )


def stream_appends(
    decision: Decision, *, source: str, meta: CommandMeta, recorded_at: datetime | None = None
) -> list[StreamAppend]:
    """Group decided events by stream, number them, and serialise their envelopes once."""
    recorded_at = recorded_at or datetime.now(UTC)
    by_stream: dict[str, list[NewEvent]] = {}
    for event in decision.events:
        stream_id = event.stream_id
        pending = by_stream.setdefault(stream_id, [])
        version = decision.expected_versions.get(stream_id, 0) + len(pending) + 1
        envelope = envelope_for(
            event, source=source, stream_version=version, meta=meta, recorded_at=recorded_at
        )
        pending.append(
            NewEvent(
                event_id=envelope.id,
                event_type=envelope.type,
                client_id=envelope.clientid,
                recorded_at=recorded_at,
                envelope=envelope.to_json_bytes().decode(),
            )
        )
    return [
        StreamAppend(stream_id, decision.expected_versions.get(stream_id, 0), events)
        for stream_id, events in by_stream.items()
    ]


class CommandBus:
    """Per-service command execution over its event store."""

    def __init__(self, store: EventStore, *, service: str, source: str) -> None:
        self.store = store
        self.service = service
        self.source = source

    async def load(
        self, stream_id: str, initial: S, evolve: Callable[[S, Any], S]
    ) -> Loaded[S]:
        state = initial
        version = 0
        for stored in await self.store.read_stream(stream_id):
            envelope = Envelope.model_validate_json(stored.envelope)
            state = evolve(state, parse_data(envelope))
            version = stored.stream_version
        return Loaded(state, version)

    async def execute(
        self, meta: CommandMeta, decide: Callable[[], Awaitable[Decision]]
    ) -> JSONResponse:
        replay = await self._replay(meta)
        if replay is not None:
            return replay
        decision = await decide()
        return await self.commit(meta, decision)

    async def commit(self, meta: CommandMeta, decision: Decision) -> JSONResponse:
        appends = stream_appends(decision, source=self.source, meta=meta)
        body = dict(decision.body)
        if appends and "stream_version" not in body and decision.status_code == 200:
            body["stream_version"] = appends[0].expected_version + len(appends[0].events)
        record = None
        if meta.idempotency_key and meta.request_hash:
            record = IdempotencyRecord(
                meta.principal.org, meta.idempotency_key, meta.request_hash,
                decision.status_code, body,
            )
        try:
            if appends or decision.in_transaction is not None:
                await self.store.append(appends, record, decision.in_transaction)
            elif record is not None:
                await self.store.append([], record)
        except IdempotencyReplay:
            replay = await self._replay(meta)
            if replay is not None:
                return replay
            raise
        for append in appends:
            for event in append.events:
                EVENTS_APPENDED.labels(self.service, event.event_type).inc()
                log.info("event.appended", stream=append.stream_id, event_id=str(event.event_id),
                         type=event.event_type, correlation_id=meta.correlation_id)
        headers = {"Location": decision.location} if decision.location else None
        return JSONResponse(json.loads(json.dumps(body, default=str)),
                            status_code=decision.status_code, headers=headers)

    async def _replay(self, meta: CommandMeta) -> JSONResponse | None:
        if not meta.idempotency_key:
            return None
        found = await self.store.find_idempotency(meta.principal.org, meta.idempotency_key)
        if found is None:
            return None
        if found.request_hash != meta.request_hash:
            raise ValidationFailed(
                "Idempotency-Key",
                "this key was already used with a different request body; use a new key",
            )
        return JSONResponse(found.response, status_code=found.status_code,
                            headers={"Idempotent-Replayed": "true"})


async def command_meta(request: Request, principal: Principal) -> CommandMeta:
    """Correlation id and Idempotency-Key of the current request."""
    key = request.headers.get("Idempotency-Key")
    digest = None
    if key is not None:
        if not 1 <= len(key) <= 200:
            raise ValidationFailed("Idempotency-Key", "must be 1 to 200 characters")
        secret = request.app.state.ctx.settings.polku_client_id_key.encode()
        digest = request_hash(request.method, request.url.path, await request.body(), secret)
    return CommandMeta(
        principal=principal,
        correlation_id=getattr(request.state, "correlation_id", None) or str(uuid.uuid4()),
        idempotency_key=key,
        request_hash=digest,
    )
