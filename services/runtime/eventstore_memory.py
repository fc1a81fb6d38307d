"""The in-memory event store: the semantics of PostgresEventStore without a server, for
handler tests and tools that need an event store and no database.

It keeps the promises of the `EventStore` interface (eventstore.py) and passes the same
contract suite. An append runs under one lock and commits by swapping in what it staged, so
a conflict, a live idempotency record or a failing side write leaves nothing behind. Each
committed append is one "transaction": its events take the next transaction id and the next
positions, so positions increase in commit order and no reader can be overtaken.

A side write (`InTransaction`) receives a `SideTables`: the caller's own in-memory tables by
name, staged in the append's transaction and committed with its events. Read them afterwards
with `InMemoryEventStore.table(name)`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice
from types import MappingProxyType
from typing import Any, Protocol
from uuid import UUID

from services.runtime.errors import ConcurrencyConflict, IdempotencyReplay
from services.runtime.eventstore import (
    DEFAULT_IDEMPOTENCY_TTL,
    AppendResult,
    Checkpoint,
    EventStore,
    IdempotencyRecord,
    InTransaction,
    StoredEvent,
    StreamAppend,
)

Clock = Callable[[], datetime]


class SideTables(Protocol):
    """What an in-memory store hands a side write: the caller's tables by name.

    `table(name)` is a plain dict (created empty on first use) that belongs to the running
    append: change it freely; it replaces the committed table if the append commits and is
    dropped if it fails. Store values you replace rather than mutate in place (rows as frozen
    dataclasses or tuples): the staged table is a shallow copy of the committed one.
    """

    def table(self, name: str) -> dict[Any, Any]: ...


@dataclass
class _Staged:
    """One append in progress: the tables it changed, copied on first use."""

    committed: Mapping[str, dict[Any, Any]]
    tables: dict[str, dict[Any, Any]] = field(default_factory=dict)

    def table(self, name: str) -> dict[Any, Any]:
        if name not in self.tables:
            self.tables[name] = dict(self.committed.get(name, {}))
        return self.tables[name]


@dataclass(frozen=True)
class _Idempotency:
    record: IdempotencyRecord
    created_at: datetime


class InMemoryEventStore(EventStore):
    """An event store in this process's memory; `clock` decides when idempotency records
    expire (tests move it forward instead of waiting)."""

    def __init__(
        self, *, idempotency_ttl: timedelta = DEFAULT_IDEMPOTENCY_TTL, clock: Clock | None = None
    ) -> None:
        self.idempotency_ttl = idempotency_ttl
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self._events: list[StoredEvent] = []  # in commit order
        self._streams: dict[str, list[StoredEvent]] = {}
        self._idempotency: dict[tuple[str, str], _Idempotency] = {}
        self._tables: dict[str, dict[Any, Any]] = {}
        self._transactions = 0
        self._lock = asyncio.Lock()

    async def append(
        self,
        appends: Sequence[StreamAppend],
        idempotency: IdempotencyRecord | None = None,
        extra: InTransaction | None = None,
    ) -> AppendResult:
        """Check every stream's version, run `extra` on staged tables, claim the idempotency
        key, then commit it all at once (in that order, as PostgresEventStore does)."""
        async with self._lock:
            versions = self._check_versions(appends)
            staged = _Staged(self._tables)
            if extra is not None:
                await extra(staged)
            if idempotency is not None:
                self._claim(idempotency)
            positions = self._commit_events(appends)
            self._tables.update(staged.tables)
            if idempotency is not None:
                key = (idempotency.organisation_id, idempotency.key)
                self._idempotency[key] = _Idempotency(idempotency, self.clock())
            return AppendResult(versions, positions)

    async def append_within(
        self, handle: Any, appends: Sequence[StreamAppend],
        idempotency: IdempotencyRecord | None = None,
    ) -> AppendResult:
        return await self.append(appends, idempotency)

    async def read_stream(self, stream_id: str) -> list[StoredEvent]:
        return list(self._streams.get(stream_id, ()))

    async def read_client(self, client_id: UUID, event_types: Sequence[str]) -> list[StoredEvent]:
        wanted = set(event_types)
        return [e for e in self._events if e.client_id == client_id and e.event_type in wanted]

    async def stream_version(self, stream_id: str) -> int:
        return self._version(stream_id)

    async def read_committed(self, after: Checkpoint, limit: int) -> list[StoredEvent]:
        # Every append commits whole under the lock, so every stored event is committed.
        later = (e for e in self._events
                 if (e.transaction_id, e.position) > (after.transaction_id, after.position))
        return list(islice(later, limit))

    async def read_from_position(self, position: int, limit: int) -> list[StoredEvent]:
        return list(islice((e for e in self._events if e.position >= position), limit))

    async def count_after(self, after: Checkpoint) -> int:
        return len(await self.read_committed(after, len(self._events)))

    async def find_idempotency(self, organisation_id: str, key: str) -> IdempotencyRecord | None:
        found = self._idempotency.get((organisation_id, key))
        return found.record if found is not None and self._live(found) else None

    def table(self, name: str) -> Mapping[Any, Any]:
        """A committed side table, read-only (empty if no append wrote to it)."""
        return MappingProxyType(self._tables.get(name, {}))

    def _check_versions(self, appends: Sequence[StreamAppend]) -> dict[str, int]:
        """The streams' versions after the appends; ConcurrencyConflict if one is stale.
        A stream may appear twice: the second append expects the first one's version."""
        versions: dict[str, int] = {}
        for append in appends:
            if not append.events:  # nothing to insert, nothing to check (as in PostgreSQL)
                versions[append.stream_id] = append.expected_version
                continue
            current = versions.get(append.stream_id)
            if current is None:
                current = self._version(append.stream_id)
            if current != append.expected_version:
                raise ConcurrencyConflict(append.stream_id, append.expected_version)
            versions[append.stream_id] = append.expected_version + len(append.events)
        return versions

    def _claim(self, record: IdempotencyRecord) -> None:
        """A live record of the key means another request with it won; an expired one is
        replaced."""
        found = self._idempotency.get((record.organisation_id, record.key))
        if found is not None and self._live(found):
            raise IdempotencyReplay(record.organisation_id, record.key)

    def _commit_events(self, appends: Sequence[StreamAppend]) -> list[int]:
        self._transactions += 1
        positions: list[int] = []
        for append in appends:
            if not append.events:
                continue
            stream = self._streams.setdefault(append.stream_id, [])
            for offset, new in enumerate(append.events, start=1):
                stored = StoredEvent(
                    position=len(self._events) + 1,
                    transaction_id=self._transactions,
                    stream_id=append.stream_id,
                    stream_version=append.expected_version + offset,
                    event_type=new.event_type,
                    client_id=new.client_id,
                    envelope=new.envelope,
                )
                self._events.append(stored)
                stream.append(stored)
                positions.append(stored.position)
        return positions

    def _version(self, stream_id: str) -> int:
        stream = self._streams.get(stream_id)
        return stream[-1].stream_version if stream else 0

    def _live(self, found: _Idempotency) -> bool:
        return found.created_at > self.clock() - self.idempotency_ttl


