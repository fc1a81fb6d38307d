"""The event store contract, run over both implementations: PostgresEventStore on a fresh
database and InMemoryEventStore with nothing — optimistic concurrency, atomic multi-stream
appends with their idempotency record and side write, idempotency expiry, commit order."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from services.runtime.application import Decision, stream_appends
from services.runtime.errors import ConcurrencyConflict, IdempotencyReplay
from services.runtime.eventstore import (
    Checkpoint,
    EventStore,
    IdempotencyRecord,
    InTransaction,
    PostgresEventStore,
    StoredEvent,
    StreamAppend,
)
from services.runtime.eventstore_memory import InMemoryEventStore, SideTables
from tests.integration.runtime.support import META, append_contacts, contact, migrated_pool

TTL = timedelta(hours=1)
ORG = "kymenlaakso-sote"


@dataclass
class Harness:
    """A store under test, with what the contract needs to reach around it: the passing of
    time for idempotency records, and a side table written in the append's transaction."""

    store: EventStore
    elapse: Callable[[timedelta], Awaitable[None]]
    side_write: Callable[[str], InTransaction]
    side_rows: Callable[[], Awaitable[list[str]]]


@pytest.fixture
def memory_harness() -> Harness:
    now = [datetime(2025, 1, 1, tzinfo=UTC)]
    store = InMemoryEventStore(idempotency_ttl=TTL, clock=lambda: now[0])

    async def elapse(delta: timedelta) -> None:
        now[0] += delta

    def side_write(value: str) -> InTransaction:
        async def write(tables: SideTables) -> None:
            tables.table("side")[value] = value
        return write

    async def side_rows() -> list[str]:
        return sorted(store.table("side"))

    return Harness(store, elapse, side_write, side_rows)


@pytest.fixture
async def postgres_harness(database_url: str) -> AsyncIterator[Harness]:
    pool = await migrated_pool(database_url)
    await pool.execute("CREATE TABLE side (value text NOT NULL)")

    async def elapse(delta: timedelta) -> None:  # the records grow older, not the clock
        await pool.execute(
            "UPDATE idempotency_keys SET created_at = created_at - $1::interval", delta)

    def side_write(value: str) -> InTransaction:
        async def write(conn: asyncpg.Connection) -> None:
            await conn.execute("INSERT INTO side (value) VALUES ($1)", value)
        return write

    async def side_rows() -> list[str]:
        return sorted(r["value"] for r in await pool.fetch("SELECT value FROM side"))

    yield Harness(PostgresEventStore(pool, idempotency_ttl=TTL), elapse, side_write, side_rows)
    await pool.close()


@pytest.fixture(params=["memory", "postgres"])
def harness(request: pytest.FixtureRequest) -> Harness:
    found: Harness = request.getfixturevalue(f"{request.param}_harness")
    return found


def contacts(engagement: uuid.UUID, count: int, expected_version: int = 0) -> StreamAppend:
    """`count` events for one engagement stream, as the bus would append them."""
    stream = f"engagement:{engagement}"
    decision = Decision([contact(engagement, uuid.uuid4()) for _ in range(count)],
                        {stream: expected_version})
    [append] = stream_appends(decision, source="polku/coaching", meta=META)
    return append


def record(key: str, request_hash: str = "hash", org: str = ORG) -> IdempotencyRecord:
    return IdempotencyRecord(org, key, request_hash, {"answer": {"key": key}})


def commit_order(events: list[StoredEvent]) -> list[tuple[int, int]]:
    return [(e.transaction_id, e.position) for e in events]


async def test_a_stream_reads_back_in_version_order(harness: Harness) -> None:
    store, engagement = harness.store, uuid.uuid4()
    append = contacts(engagement, 3)
    result = await store.append([append])

    stream = await store.read_stream(f"engagement:{engagement}")
    assert [e.stream_version for e in stream] == [1, 2, 3]
    assert [e.envelope for e in stream] == [e.envelope for e in append.events]
    assert [e.client_id for e in stream] == [e.client_id for e in append.events]
    assert {e.event_type for e in stream} == {"EmployerContacted"}
    assert result.versions == {f"engagement:{engagement}": 3}
    assert result.positions == [e.position for e in stream]
    assert result.positions == sorted(set(result.positions))
    assert await store.stream_version(f"engagement:{engagement}") == 3
    assert await store.read_stream("engagement:nobody") == []
    assert await store.stream_version("engagement:nobody") == 0


async def test_stale_expected_version_is_a_conflict_naming_the_stream(harness: Harness) -> None:
    store, engagement = harness.store, uuid.uuid4()
    await store.append([contacts(engagement, 3)])
    with pytest.raises(ConcurrencyConflict) as raised:
        await store.append([contacts(engagement, 2, expected_version=1)])
    assert (raised.value.stream_id, raised.value.expected_version) == (
        f"engagement:{engagement}", 1)
    with pytest.raises(ConcurrencyConflict):  # a stream that does not exist is at 0
        await store.append([contacts(uuid.uuid4(), 1, expected_version=1)])
    stream = await store.read_stream(f"engagement:{engagement}")
    assert [e.stream_version for e in stream] == [1, 2, 3]
    await store.append([contacts(engagement, 1, expected_version=3)])
    assert await store.stream_version(f"engagement:{engagement}") == 4


async def test_two_writers_racing_on_one_stream_exactly_one_wins(harness: Harness) -> None:
    store, engagement, client = harness.store, uuid.uuid4(), uuid.uuid4()
    await append_contacts(store, engagement, client, count=1, expected_version=0)

    results = await asyncio.gather(
        *(append_contacts(store, engagement, client, count=1, expected_version=1)
          for _ in range(2)),
        return_exceptions=True,
    )

    assert len([r for r in results if isinstance(r, ConcurrencyConflict)]) == 1, results
    assert [r for r in results if r is None] == [None]
    assert await store.stream_version(f"engagement:{engagement}") == 2


async def test_a_multi_stream_append_is_one_commit(harness: Harness) -> None:
    store, first, second = harness.store, uuid.uuid4(), uuid.uuid4()
    await store.append([contacts(second, 1)])
    result = await store.append(
        [contacts(first, 2), contacts(second, 1, expected_version=1)],
        record("both"), harness.side_write("both"))

    assert result.versions == {f"engagement:{first}": 2, f"engagement:{second}": 2}
    events = await store.read_committed(Checkpoint(), 100)
    assert len({e.transaction_id for e in events[1:]}) == 1
    assert events[0].transaction_id < events[1].transaction_id
    assert await harness.side_rows() == ["both"]
    assert await store.find_idempotency(ORG, "both") == record("both")


async def test_a_stale_stream_in_a_multi_stream_append_writes_nothing(harness: Harness) -> None:
    store, fresh, stale = harness.store, uuid.uuid4(), uuid.uuid4()
    await store.append([contacts(stale, 2)])
    before = await store.read_committed(Checkpoint(), 100)

    with pytest.raises(ConcurrencyConflict) as raised:
        await store.append([contacts(fresh, 2), contacts(stale, 1, expected_version=1)],
                           record("stale"), harness.side_write("stale"))

    assert raised.value.stream_id == f"engagement:{stale}"
    assert await store.read_stream(f"engagement:{fresh}") == []
    assert await store.stream_version(f"engagement:{stale}") == 2
    assert await store.read_committed(Checkpoint(), 100) == before
    assert await store.find_idempotency(ORG, "stale") is None
    assert await harness.side_rows() == []


async def test_a_failing_side_write_leaves_nothing(harness: Harness) -> None:
    store, engagement = harness.store, uuid.uuid4()
    written = harness.side_write("half")

    async def fails(handle: Any) -> None:
        await written(handle)
        raise RuntimeError("the side write failed")

    with pytest.raises(RuntimeError, match="side write failed"):
        await store.append([contacts(engagement, 1), contacts(uuid.uuid4(), 1)],
                           record("failed"), fails)

    assert await store.read_committed(Checkpoint(), 100) == []
    assert await store.find_idempotency(ORG, "failed") is None
    assert await harness.side_rows() == []
    await store.append([contacts(engagement, 1)], record("failed"), harness.side_write("ok"))
    assert await harness.side_rows() == ["ok"]


async def test_a_live_idempotency_key_is_replayed_and_its_second_append_dropped(
    harness: Harness,
) -> None:
    store, engagement = harness.store, uuid.uuid4()
    await store.append([], record("key-1"))
    assert await store.find_idempotency(ORG, "key-1") == record("key-1")
    assert await store.find_idempotency("other-org", "key-1") is None

    with pytest.raises(IdempotencyReplay) as raised:
        await store.append([contacts(engagement, 1)], record("key-1", "other"),
                           harness.side_write("second"))

    assert (raised.value.organisation_id, raised.value.key) == (ORG, "key-1")
    assert await store.read_stream(f"engagement:{engagement}") == []
    assert await harness.side_rows() == []
    assert await store.find_idempotency(ORG, "key-1") == record("key-1")
    await store.append([], record("key-1", org="other-org"))  # keys are per organisation


async def test_an_expired_idempotency_key_is_absent_and_replaceable(harness: Harness) -> None:
    store, engagement = harness.store, uuid.uuid4()
    await store.append([], record("old"))
    await harness.elapse(TTL - timedelta(minutes=1))
    assert await store.find_idempotency(ORG, "old") == record("old")
    with pytest.raises(IdempotencyReplay):
        await store.append([], record("old", "again"))

    await harness.elapse(timedelta(minutes=2))
    assert await store.find_idempotency(ORG, "old") is None
    await store.append([contacts(engagement, 1)], record("old", "new"))
    assert await store.find_idempotency(ORG, "old") == record("old", "new")
    assert await store.stream_version(f"engagement:{engagement}") == 1


async def test_concurrent_appends_are_read_once_each_in_commit_order(harness: Harness) -> None:
    store = harness.store
    appends = [contacts(uuid.uuid4(), 1 + i % 3) for i in range(30)]
    await asyncio.gather(*(store.append([a]) for a in appends))

    events = await store.read_committed(Checkpoint(), 1000)
    appended = sorted(e.envelope for a in appends for e in a.events)
    assert sorted(e.envelope for e in events) == appended
    assert len({e.position for e in events}) == len(appended)
    # Commit order, not position order: PostgreSQL hands out positions before commit, so a
    # later position may commit first (the relay reads by transaction, then position).
    assert commit_order(events) == sorted(commit_order(events))
    for stream_id in {e.stream_id for e in events}:  # each append's events in stream order
        versions = [e.stream_version for e in events if e.stream_id == stream_id]
        assert versions == list(range(1, len(versions) + 1))
    assert await store.count_after(Checkpoint()) == len(appended)


async def test_reading_after_a_checkpoint_returns_exactly_the_later_commits(
    harness: Harness,
) -> None:
    store = harness.store
    await asyncio.gather(*(store.append([contacts(uuid.uuid4(), 2)]) for _ in range(5)))
    earlier = await store.read_committed(Checkpoint(), 1000)
    mark = earlier[3]
    checkpoint = Checkpoint(mark.transaction_id, mark.position)
    later = [contacts(uuid.uuid4(), 2) for _ in range(5)]
    await asyncio.gather(*(store.append([a]) for a in later))

    after = await store.read_committed(checkpoint, 1000)
    assert after == (await store.read_committed(Checkpoint(), 1000))[4:]
    assert sorted(e.envelope for e in after[-10:]) == sorted(
        e.envelope for a in later for e in a.events)
    assert await store.count_after(checkpoint) == len(after) == 16
    assert await store.read_committed(checkpoint, 3) == after[:3]
    last = after[-1]
    assert await store.read_committed(Checkpoint(last.transaction_id, last.position), 10) == []


async def test_reading_from_a_position_takes_that_position_on(harness: Harness) -> None:
    store = harness.store
    await store.append([contacts(uuid.uuid4(), 4)])
    await store.append([contacts(uuid.uuid4(), 4)])
    events = await store.read_committed(Checkpoint(), 100)
    third = events[2].position

    assert await store.read_from_position(third, 100) == events[2:]
    assert await store.read_from_position(third, 2) == events[2:4]
    assert await store.read_from_position(events[-1].position + 1, 100) == []


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await migrated_pool(database_url)
    yield pool
    await pool.close()


async def test_postgres_reader_never_passes_a_transaction_still_open(pool: asyncpg.Pool) -> None:
    """An early transaction that commits after a later one must not be skipped (the memory
    store commits an append whole, so no reader can see a later one first)."""
    store = PostgresEventStore(pool)
    first, second, client = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    slow = await pool.acquire()
    try:
        tx = slow.transaction()
        await tx.start()
        # The slow transaction takes its id (and a position) first …
        await slow.execute("SELECT pg_current_xact_id()")
        # … a later one commits meanwhile.
        await append_contacts(store, second, client, count=1, expected_version=0)
        assert await store.read_committed(Checkpoint(), 100) == []
        await slow.execute(
            """INSERT INTO events (event_id, stream_id, stream_version, event_type, client_id,
                                   recorded_at, envelope)
               VALUES ($1, $2, 1, 'EmployerContacted', $3, now(), '{}')""",
            uuid.uuid4(), f"engagement:{first}", client,
        )
        await tx.commit()
    finally:
        await pool.release(slow)

    seen = await store.read_committed(Checkpoint(), 100)
    assert [e.stream_id for e in seen] == [f"engagement:{first}", f"engagement:{second}"]
    after_first = Checkpoint(seen[0].transaction_id, seen[0].position)
    assert [e.stream_id for e in await store.read_committed(after_first, 100)] == [
        f"engagement:{second}"
    ]
