"""The command bus: a command's handler decides, the bus appends, and the caller gets a plain
`Outcome` — no HTTP here. The HTTP adapter (responses.py) and the bus subscribers
(e.g. coaching's reaction to CaseOpened) call the same `execute` the same way.

A handler loads the aggregates it needs with `load`, runs the pure `decide` of the domain and
returns a `Decision`; `execute` turns it into one atomic append (with the Idempotency-Key
record, which stores the outcome) and returns the `Outcome`: what was created, the stream
versions, the events appended and the consistency token naming them. Idempotent replays
answer from the stored outcome. Refusals are the typed errors of services/decider.py.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from contracts.envelope import Envelope
from contracts.events.base import Event
from contracts.registry import parse_data
from services.runtime.consistency import token_for
from services.runtime.errors import IdempotencyReplay, ValidationFailed
from services.runtime.eventstore import (
    EventStore,
    IdempotencyRecord,
    InTransaction,
    NewEvent,
    StreamAppend,
)
from services.runtime.logging import get_logger
from services.runtime.metrics import EVENTS_APPENDED
from services.runtime.principal import Principal

log = get_logger(__name__)

S = TypeVar("S")


@dataclass(frozen=True)
class CommandMeta:
    """Who sends the command and how it is traced; the same for a route and a subscriber."""

    principal: Principal
    correlation_id: str
    causation_id: str | None = None
    idempotency_key: str | None = None
    request_hash: str | None = None


@dataclass
class Decision:
    """What a handler decided: events per stream (with the versions they were decided on),
    the answer (the ids it created or names), and whether it created something."""

    events: Sequence[Event]
    expected_versions: dict[str, int]
    answer: dict[str, Any] = field(default_factory=dict)
    created: bool = False
    # A side-table write committed in the same transaction as the events (optional).
    in_transaction: InTransaction | None = None


@dataclass(frozen=True)
class Outcome:
    """What a command did: its answer, whether it created something, the versions of the
    streams it appended to, the ids of the events it appended, the consistency token."""

    answer: dict[str, Any]
    created: bool = False
    stream_versions: dict[str, int] = field(default_factory=dict)
    event_ids: tuple[UUID, ...] = ()
    consistency: str | None = None
    replayed: bool = False

    def to_record(self) -> dict[str, Any]:
        # Stream versions as pairs: their order (the command's first stream first) matters,
        # and a jsonb object does not keep it.
        return {"answer": json_safe(self.answer), "created": self.created,
                "stream_versions": [[k, v] for k, v in self.stream_versions.items()],
                "event_ids": [str(i) for i in self.event_ids], "consistency": self.consistency}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Outcome:
        versions = record["stream_versions"]
        pairs = versions.items() if isinstance(versions, dict) else versions
        return cls(record["answer"], bool(record["created"]), {k: v for k, v in pairs},
                   tuple(UUID(i) for i in record["event_ids"]), record.get("consistency"))


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
        self, meta: CommandMeta, decide: Callable[[], Awaitable[Decision]],
        *, conn: Any = None,
    ) -> Outcome:
        """Run one command: answer a replayed Idempotency-Key from its stored outcome, else
        decide and commit. With `conn`, the append joins the caller's transaction (a bus
        subscriber appending together with its consumer's offsets)."""
        replay = await self._replay(meta)
        if replay is not None:
            return replay
        return await self.commit(meta, await decide(), conn=conn)

    async def commit(self, meta: CommandMeta, decision: Decision,
                     *, conn: Any = None) -> Outcome:
        appends = stream_appends(decision, source=self.source, meta=meta)
        event_ids = tuple(e.event_id for a in appends for e in a.events)
        outcome = Outcome(
            decision.answer, decision.created,
            {a.stream_id: a.expected_version + len(a.events) for a in appends}, event_ids,
            token_for(self.service, event_ids),
        )
        record = None
        if meta.idempotency_key and meta.request_hash:
            record = IdempotencyRecord(meta.principal.org, meta.idempotency_key,
                                       meta.request_hash, outcome.to_record())
        try:
            if conn is not None:
                await self.store.append_within(conn, appends, record)
            elif appends or decision.in_transaction is not None or record is not None:
                await self.store.append(appends, record, decision.in_transaction)
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
        return outcome

    async def _replay(self, meta: CommandMeta) -> Outcome | None:
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
        return replace(Outcome.from_record(found.outcome), replayed=True)


def json_safe(value: dict[str, Any]) -> dict[str, Any]:
    """An answer as JSON would carry it (ids and dates as strings)."""
    result: dict[str, Any] = json.loads(json.dumps(value, default=str))
    return result
