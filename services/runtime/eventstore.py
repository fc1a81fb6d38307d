"""The event store: its interface (`EventStore`), the records it keeps, and its PostgreSQL
implementation (`PostgresEventStore`); the in-memory one is in eventstore_memory.py.

Both keep the same promises, checked by one contract suite
(tests/integration/runtime/test_eventstore_contract.py):

* An append is atomic over every stream the command writes to, the Idempotency-Key record and
  an optional side write (`InTransaction`): all of it commits, or none of it.
* Optimistic concurrency: a stream whose version is no longer the expected one refuses the
  append with ConcurrencyConflict(stream_id, expected_version).
* An idempotency record expires after its TTL: a lookup ignores it and a new request with its
  key replaces it; a live record of the key refuses the append with IdempotencyReplay.
* Commit order: `read_committed` after a checkpoint returns exactly the events committed
  later, each once, in (transaction_id, position) order — what the relay publishes.

In PostgreSQL an append is one transaction per command; the `events` table is also the
relay's outbox, and retention.py deletes expired idempotency records in batches.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from services.runtime.errors import ConcurrencyConflict, IdempotencyReplay


@dataclass(frozen=True)
class StoredEvent:
    position: int
    transaction_id: int
    stream_id: str
    stream_version: int
    event_type: str
    client_id: UUID | None
    envelope: str


@dataclass(frozen=True)
class NewEvent:
    """An event ready to store: its full CloudEvents envelope, serialised once."""

    event_id: UUID
    event_type: str
    client_id: UUID | None
    recorded_at: datetime
    envelope: str


@dataclass(frozen=True)
class StreamAppend:
    stream_id: str
    expected_version: int  # 0 = the stream must not exist yet
    events: Sequence[NewEvent]


@dataclass(frozen=True)
class IdempotencyRecord:
    """An Idempotency-Key's record: the keyed digest of the request and the command's
    outcome (application.Outcome.to_record), answered again on a replay."""

    organisation_id: str
    key: str
    request_hash: str
    outcome: dict[str, Any]


@dataclass(frozen=True)
class Checkpoint:
    """A position in commit order: (transaction id, position)."""

    transaction_id: int = 0
    position: int = 0


@dataclass
class AppendResult:
    versions: dict[str, int] = field(default_factory=dict)
    positions: list[int] = field(default_factory=list)


DEFAULT_IDEMPOTENCY_TTL = timedelta(days=7)

InTransaction = Callable[[Any], Awaitable[None]]
"""A write that must share the append's transaction (e.g. a service's side table). It gets
the store's transaction handle: the `asyncpg.Connection` of the transaction in
PostgresEventStore, a `SideTables` (eventstore_memory.py) in InMemoryEventStore."""


class EventStore(ABC):
    """What the bus, the relay and the services need of an event store."""

    @abstractmethod
    async def append(
        self,
        appends: Sequence[StreamAppend],
        idempotency: IdempotencyRecord | None = None,
        extra: InTransaction | None = None,
    ) -> AppendResult:
        """Append to one or more streams, store the idempotency record and run `extra`, all
        in one atomic step. Raise ConcurrencyConflict when a stream is not at its expected
        version, IdempotencyReplay when the key has a live record; then nothing is kept."""

    @abstractmethod
    async def append_within(
        self, handle: Any, appends: Sequence[StreamAppend],
        idempotency: IdempotencyRecord | None = None,
    ) -> AppendResult:
        """`append` inside a transaction the caller holds (`handle`: the PostgreSQL
        connection of a consumer appending together with its offsets); in memory, where there
        is no outer transaction, the same as `append`."""

    @abstractmethod
    async def read_stream(self, stream_id: str) -> list[StoredEvent]:
        """The stream's events in version order ([] for a stream that does not exist)."""

    @abstractmethod
    async def read_client(self, client_id: UUID, event_types: Sequence[str]) -> list[StoredEvent]:
        """The events about a client (every stream) of these types, in commit order."""

    @abstractmethod
    async def stream_version(self, stream_id: str) -> int:
        """The stream's last version (0 for a stream that does not exist)."""

    @abstractmethod
    async def read_committed(self, after: Checkpoint, limit: int) -> list[StoredEvent]:
        """Up to `limit` events after `after` in commit order, only from appends that can
        no longer be overtaken by one committing later (the relay's read)."""

    @abstractmethod
    async def read_from_position(self, position: int, limit: int) -> list[StoredEvent]:
        """Up to `limit` events with position ≥ `position`, in position order (republish)."""

    @abstractmethod
    async def count_after(self, after: Checkpoint) -> int:
        """How many events come after `after` in commit order (the relay's lag)."""

    @abstractmethod
    async def find_idempotency(self, organisation_id: str, key: str) -> IdempotencyRecord | None:
        """The live record of the organisation's `key`; an expired one is as good as absent."""


_INSERT = """
INSERT INTO events (event_id, stream_id, stream_version, event_type, client_id,
                    recorded_at, envelope)
SELECT e.event_id, $1, $2 + e.ord, e.event_type, e.client_id, e.recorded_at, e.envelope
FROM unnest($3::uuid[], $4::text[], $5::uuid[], $6::timestamptz[], $7::text[])
     WITH ORDINALITY AS e(event_id, event_type, client_id, recorded_at, envelope, ord)
WHERE (SELECT coalesce(max(stream_version), 0) FROM events WHERE stream_id = $1) = $2
RETURNING position
"""


class PostgresEventStore(EventStore):
    """The event store of a service's PostgreSQL database (migrations of services.runtime)."""

    def __init__(
        self, pool: asyncpg.Pool, *, idempotency_ttl: timedelta = DEFAULT_IDEMPOTENCY_TTL
    ) -> None:
        self.pool = pool
        self.idempotency_ttl = idempotency_ttl

    async def append(
        self,
        appends: Sequence[StreamAppend],
        idempotency: IdempotencyRecord | None = None,
        extra: InTransaction | None = None,
    ) -> AppendResult:
        """Append to one or more streams atomically; raise ConcurrencyConflict on a stale version.

        The version check and the insert are one statement and the unique
        (stream_id, stream_version) constraint closes the race between two writers.
        `extra` runs on the same connection inside the same transaction, for a service's
        side-table write that must commit or roll back with the events.
        """
        async with self.pool.acquire() as conn:
            if len(appends) == 1 and idempotency is None and extra is None:
                # One statement is its own transaction: one round trip instead of three.
                return await append_in(conn, appends)
            async with conn.transaction():
                return await _append_all(
                    conn, appends, idempotency, extra, self.idempotency_ttl
                )

    async def append_within(
        self, handle: Any, appends: Sequence[StreamAppend],
        idempotency: IdempotencyRecord | None = None,
    ) -> AppendResult:
        return await append_in(handle, appends, idempotency, self.idempotency_ttl)

    async def read_client(self, client_id: UUID, event_types: Sequence[str]) -> list[StoredEvent]:
        rows = await self.pool.fetch(
            """SELECT position, transaction_id::text::bigint AS txid, stream_id, stream_version,
                      event_type, client_id, envelope
               FROM events WHERE client_id = $1 AND event_type = ANY($2::text[])
               ORDER BY transaction_id, position""",
            client_id, list(event_types),
        )
        return [_stored(row) for row in rows]

    async def read_stream(self, stream_id: str) -> list[StoredEvent]:
        rows = await self.pool.fetch(
            """SELECT position, transaction_id::text::bigint AS txid, stream_id, stream_version,
                      event_type, client_id, envelope
               FROM events WHERE stream_id = $1 ORDER BY stream_version""",
            stream_id,
        )
        return [_stored(r) for r in rows]

    async def stream_version(self, stream_id: str) -> int:
        value = await self.pool.fetchval(
            "SELECT coalesce(max(stream_version), 0) FROM events WHERE stream_id = $1", stream_id
        )
        return int(value)

    async def read_committed(self, after: Checkpoint, limit: int) -> list[StoredEvent]:
        """Events after `after` in commit order, only from transactions that can no longer
        be overtaken: every transaction older than the oldest running one has finished."""
        rows = await self.pool.fetch(
            """SELECT position, transaction_id::text::bigint AS txid, stream_id, stream_version,
                      event_type, client_id, envelope
               FROM events
               WHERE (transaction_id, position) > ($1::text::xid8, $2)
                 AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
               ORDER BY transaction_id, position
               LIMIT $3""",
            str(after.transaction_id), after.position, limit,
        )
        return [_stored(r) for r in rows]

    async def read_from_position(self, position: int, limit: int) -> list[StoredEvent]:
        """Events with position ≥ `position` (used by republish), in position order."""
        rows = await self.pool.fetch(
            """SELECT position, transaction_id::text::bigint AS txid, stream_id, stream_version,
                      event_type, client_id, envelope
               FROM events WHERE position >= $1 ORDER BY position LIMIT $2""",
            position, limit,
        )
        return [_stored(r) for r in rows]

    async def count_after(self, after: Checkpoint) -> int:
        value = await self.pool.fetchval(
            "SELECT count(*) FROM events WHERE (transaction_id, position) > ($1::text::xid8, $2)",
            str(after.transaction_id), after.position,
        )
        return int(value)

    async def find_idempotency(self, organisation_id: str, key: str) -> IdempotencyRecord | None:
        """The live record of `key`; an expired one is as good as absent."""
        row = await self.pool.fetchrow(
            """SELECT organisation_id, key, request_hash, status_code, response
               FROM idempotency_keys WHERE organisation_id = $1 AND key = $2
                 AND created_at > now() - $3::interval""",
            organisation_id, key, self.idempotency_ttl,
        )
        if row is None:
            return None
        outcome = json.loads(row["response"])
        if row["status_code"] is not None:  # a record written before outcomes were stored
            outcome = {"answer": {k: v for k, v in outcome.items() if k != "stream_version"},
                       "created": row["status_code"] == 201, "stream_versions": {},
                       "event_ids": [], "consistency": None}
        return IdempotencyRecord(row["organisation_id"], row["key"], row["request_hash"],
                                 outcome)


async def append_in(
    conn: asyncpg.Connection,
    appends: Sequence[StreamAppend],
    idempotency: IdempotencyRecord | None = None,
    idempotency_ttl: timedelta = DEFAULT_IDEMPOTENCY_TTL,
) -> AppendResult:
    """`PostgresEventStore.append` on a connection the caller holds, inside the caller's transaction
    (a consumer that appends events together with its other effects, effectively once)."""
    result = AppendResult()
    for append in appends:
        result.positions.extend(await _append_stream(conn, append))
        result.versions[append.stream_id] = append.expected_version + len(append.events)
    if idempotency is not None:
        await _store_idempotency(conn, idempotency, idempotency_ttl)
    return result


async def _append_stream(conn: asyncpg.Connection, append: StreamAppend) -> list[int]:
    events = append.events
    try:
        rows = await conn.fetch(
            _INSERT,
            append.stream_id, append.expected_version,
            [e.event_id for e in events], [e.event_type for e in events],
            [e.client_id for e in events], [e.recorded_at for e in events],
            [e.envelope for e in events],
        )
    except asyncpg.UniqueViolationError as error:
        if error.constraint_name == "events_stream_version_key":
            raise ConcurrencyConflict(append.stream_id, append.expected_version) from error
        raise
    if len(rows) != len(events):
        raise ConcurrencyConflict(append.stream_id, append.expected_version)
    return [r["position"] for r in rows]


async def _append_all(
    conn: asyncpg.Connection, appends: Sequence[StreamAppend],
    idempotency: IdempotencyRecord | None, extra: InTransaction | None, ttl: timedelta,
) -> AppendResult:
    result = await append_in(conn, appends)
    if extra is not None:
        await extra(conn)
    if idempotency is not None:
        await _store_idempotency(conn, idempotency, ttl)
    return result


async def _store_idempotency(
    conn: asyncpg.Connection, record: IdempotencyRecord, ttl: timedelta
) -> None:
    """Insert the record, or replace an expired one of the same key (an expired key is new).
    A live record of the key means a concurrent request with it won: this one's append is
    rolled back (IdempotencyReplay), and the caller answers from the winner's record."""
    stored = await conn.fetchval(
        """INSERT INTO idempotency_keys
               (organisation_id, key, request_hash, status_code, response)
           VALUES ($1, $2, $3, NULL, $4)
           ON CONFLICT (organisation_id, key) DO UPDATE
               SET request_hash = excluded.request_hash, status_code = NULL,
                   response = excluded.response, created_at = excluded.created_at
               WHERE idempotency_keys.created_at <= now() - $5::interval
           RETURNING true""",
        record.organisation_id, record.key, record.request_hash,
        json.dumps(record.outcome), ttl,
    )
    if not stored:
        raise IdempotencyReplay(record.organisation_id, record.key)


def _stored(row: asyncpg.Record) -> StoredEvent:
    return StoredEvent(
        position=row["position"],
        transaction_id=row["txid"],
        stream_id=row["stream_id"],
        stream_version=row["stream_version"],
        event_type=row["event_type"],
        client_id=row["client_id"],
        envelope=row["envelope"],
    )
