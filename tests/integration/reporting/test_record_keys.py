"""Record keys on the fact rows (projections/keys.py): every row keyed with the configured
key's record key of its unit, by the projector as it writes and by `ensure_keyed` for the
rows before; a key that two units share is found, and the stored keys are then not used."""

from __future__ import annotations

import asyncio
import copy

import asyncpg

from services.reporting.projections import project
from services.reporting.projections.facts import FACT_COLUMNS
from services.reporting.projections.keys import (
    KEYED,
    RecordKeys,
    ensure_keyed,
    keyed_with,
    record_key,
    signed,
)
from tests.integration.reporting.builders import new_id
from tests.integration.reporting.random_history import random_history

KEYS = RecordKeys.of("record-keys-test-key")
OTHER = RecordKeys.of("another-record-keys-test-key")


async def _wrongly_keyed(conn: asyncpg.Connection, key: bytes) -> list[str]:
    """Every keyed column with a row whose key is not its unit's (or is missing)."""
    wrong = []
    for table, pairs in KEYED.items():
        for unit, column in pairs:
            rows = await conn.fetch(f"SELECT {unit}, {column} FROM facts.{table} "
                                    f"WHERE {unit} IS NOT NULL")
            if any(r[column] != signed(record_key(key, r[unit])) for r in rows):
                wrong.append(f"{table}.{column}")
    return wrong


async def _units(conn: asyncpg.Connection) -> int:
    """How many distinct units the fact rows name."""
    every = " UNION ".join(f"SELECT {unit} AS unit FROM facts.{table}"
                           for table, pairs in KEYED.items() for unit, _ in pairs)
    return int(await conn.fetchval(
        f"SELECT count(*) FROM ({every}) u WHERE u.unit IS NOT NULL"))


async def test_rows_written_before_are_keyed_and_the_key_marked(
    conn: asyncpg.Connection,
) -> None:
    envelopes = random_history(clients=40, seed=3).envelopes()
    async with conn.transaction():
        await project(conn, envelopes)  # without keys: the rows before migration 019
    assert await conn.fetchval("SELECT count(*) FROM facts.referrals WHERE client_key IS NULL")
    assert await keyed_with(conn) is None

    assert await ensure_keyed(conn, KEYS)
    assert await _wrongly_keyed(conn, KEYS.key) == []
    assert await keyed_with(conn) == KEYS.fingerprint
    assert await conn.fetchval("SELECT count(*) FROM record_key_units") == await _units(conn)
    marked = await conn.fetchval("SELECT keyed_at FROM record_keys_of")
    assert await ensure_keyed(conn, KEYS)  # already keyed: nothing to do
    assert await conn.fetchval("SELECT keyed_at FROM record_keys_of") == marked

    # Another key (POLKU_PERTURBATION_KEY changed): every row keyed again.
    assert await ensure_keyed(conn, OTHER)
    assert await _wrongly_keyed(conn, OTHER.key) == []
    assert await keyed_with(conn) == OTHER.fingerprint


async def test_the_projector_keys_what_it_writes(conn: asyncpg.Connection) -> None:
    envelopes = random_history(clients=40, seed=4).envelopes()
    half = len(envelopes) // 2
    assert await ensure_keyed(conn, KEYS)
    for batch in (envelopes[:half], envelopes[half:]):
        async with conn.transaction():
            await project(conn, batch, keys=KEYS)
    assert await _wrongly_keyed(conn, KEYS.key) == []
    assert await keyed_with(conn) == KEYS.fingerprint
    assert await conn.fetchval("SELECT count(*) FROM record_key_units") == await _units(conn)


class _Clashing(RecordKeys):
    """Gives one unit another unit's key."""

    def __init__(self, key: bytes, unit: str, like: str) -> None:
        super().__init__(key)
        self.unit, self.like = unit, like

    def signed(self, unit: str | None) -> int | None:
        return super().signed(self.like if unit == self.unit else unit)


async def test_a_key_two_units_share_stops_the_stored_keys_being_used(
    conn: asyncpg.Connection,
) -> None:
    envelopes = random_history(clients=40, seed=5).envelopes()
    async with conn.transaction():
        await project(conn, envelopes)
    first, second = (r["client_id"] for r in await conn.fetch(
        "SELECT DISTINCT client_id FROM facts.referrals ORDER BY client_id LIMIT 2"))
    clashing = _Clashing(KEYS.key, second, first)
    assert not await ensure_keyed(conn, clashing)
    assert await keyed_with(conn) is None

    # Found as the projector adds the unit, too.
    assert await ensure_keyed(conn, KEYS)
    columns = FACT_COLUMNS["clients"]
    row = tuple("a-new-client" if c == "client_id" else None for c in columns)
    assert not await _Clashing(KEYS.key, "a-new-client", first).register(
        conn, {"clients": [row]})
    assert await keyed_with(conn) is None


async def test_two_keyings_at_once_leave_one_mark_and_every_unit(
    conn: asyncpg.Connection, database_url: str,
) -> None:
    """Two reporting replicas starting at once after a key change: one keys, the other
    finds it done."""
    async with conn.transaction():
        await project(conn, random_history(clients=40, seed=6).envelopes())
    other = await asyncpg.connect(database_url)
    try:
        assert await asyncio.gather(ensure_keyed(conn, KEYS), ensure_keyed(other, KEYS)) == [
            True, True]
    finally:
        await other.close()
    assert await conn.fetchval("SELECT count(*) FROM record_keys_of") == 1
    assert await conn.fetchval("SELECT count(*) FROM record_key_units") == await _units(conn)
    assert await _wrongly_keyed(conn, KEYS.key) == []


async def _shared(conn: asyncpg.Connection) -> set[str]:
    return {r["feedback_id"] for r in await conn.fetch(
        "SELECT DISTINCT feedback_id FROM facts.feedback WHERE shared")}


async def test_a_record_given_again_marks_every_row_of_it_shared(
    conn: asyncpg.Connection,
) -> None:
    """A feedback recorded again under another event id: its rows, the earlier too, say so
    (a count of records then sums their keys once), as the projector writes the second and
    when every row is keyed again; the others do not."""
    history = random_history(clients=40, seed=8)
    feedback = [e for e in history.events if e["type"] == "ClientFeedbackGiven"]
    assert len(feedback) >= 3
    assert await ensure_keyed(conn, KEYS)
    async with conn.transaction():
        await project(conn, history.envelopes(), keys=KEYS)
    assert await _shared(conn) == set()
    assert await conn.fetchval("SELECT count(*) FROM record_rows") == len(feedback)

    # Given again in a later batch, and twice in one batch.
    again = [copy.deepcopy(e) for e in (feedback[0], feedback[1], feedback[1])]
    for event in again:
        event["id"] = new_id()
    history.events[:] = again
    async with conn.transaction():
        await project(conn, history.envelopes(), keys=KEYS)
    given_again = {feedback[0]["data"]["feedback_id"], feedback[1]["data"]["feedback_id"]}
    assert await _shared(conn) == given_again
    assert await conn.fetchval("SELECT count(*) FROM facts.feedback WHERE shared") == 5
    assert await keyed_with(conn) == KEYS.fingerprint

    # Keyed again from scratch (another key): the same marks.
    await conn.execute("UPDATE facts.feedback SET shared = false")
    assert await ensure_keyed(conn, OTHER)
    assert await _shared(conn) == given_again
    assert await conn.fetchval("SELECT count(*) FROM record_rows") == len(feedback)
