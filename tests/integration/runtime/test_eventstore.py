"""The event store against real PostgreSQL: optimistic concurrency and safe commit order."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from services.runtime.errors import ConcurrencyConflict, IdempotencyReplay
from services.runtime.eventstore import Checkpoint, EventStore, IdempotencyRecord
from tests.integration.runtime.support import append_contacts, migrated_pool


@pytest.fixture
async def pool(database_url: str):
    pool = await migrated_pool(database_url)
    yield pool
    await pool.close()


async def test_two_writers_racing_on_one_stream_exactly_one_wins(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    engagement, client = uuid.uuid4(), uuid.uuid4()
    await append_contacts(store, engagement, client, count=1, expected_version=0)

    results = await asyncio.gather(
        *(append_contacts(store, engagement, client, count=1, expected_version=1)
          for _ in range(2)),
        return_exceptions=True,
    )

    conflicts = [r for r in results if isinstance(r, ConcurrencyConflict)]
    assert len(conflicts) == 1, results
    assert [r for r in results if r is None] == [None]
    assert await store.stream_version(f"engagement:{engagement}") == 2


async def test_stale_expected_version_is_a_conflict_and_writes_nothing(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    engagement, client = uuid.uuid4(), uuid.uuid4()
    await append_contacts(store, engagement, client, count=3, expected_version=0)
    with pytest.raises(ConcurrencyConflict):
        await append_contacts(store, engagement, client, count=2, expected_version=1)
    stream = await store.read_stream(f"engagement:{engagement}")
    assert [e.stream_version for e in stream] == [1, 2, 3]


async def test_reader_never_passes_a_transaction_that_is_still_open(pool: asyncpg.Pool) -> None:
    """An early transaction that commits after a later one must not be skipped."""
    store = EventStore(pool)
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


async def test_idempotency_record_is_written_with_the_append(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    record = IdempotencyRecord("kymenlaakso-sote", "key-1", "hash", 201, {"id": "x"})
    await store.append([], record)
    found = await store.find_idempotency("kymenlaakso-sote", "key-1")
    assert found == record
    with pytest.raises(IdempotencyReplay):
        await store.append([], record)
    assert await store.find_idempotency("other-org", "key-1") is None
