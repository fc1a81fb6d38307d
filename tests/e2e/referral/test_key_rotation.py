"""Rotation of the personal-data master key against a real PostgreSQL: records sealed with
the old key stay readable during the rotation, `rewrap_all` moves every live data key to the
new key in one pass, erased clients stay erased, and a second pass changes nothing."""

from __future__ import annotations

import asyncio
import base64
import os
from uuid import UUID

import asyncpg
import pytest

from services.referral import personal_data
from services.referral.personal_data import (
    PersonalData,
    PersonalDataErasedError,
    PersonalDataUnreadable,
    PersonalDataVault,
    SealedRecord,
)
from services.runtime.migrate import apply_migrations
from tests.e2e.referral.support import PEOPLE

CLIENT_ID_KEY = "rotation-test-client-id-key"
KEY_A, KEY_B = (base64.b64encode(os.urandom(32)).decode() for _ in range(2))
CLIENTS = 7


def vault(current: str, previous: str | None = None) -> PersonalDataVault:
    return PersonalDataVault(master_key=current, client_id_key=CLIENT_ID_KEY,
                             previous_master_key=previous)


async def migrated(url: str) -> asyncpg.Connection:
    conn = await asyncpg.connect(url)
    await apply_migrations(conn, "services.runtime", "services.referral")
    return conn


async def seal_people(conn: asyncpg.Connection, sealer: PersonalDataVault,
                      count: int) -> dict[UUID, PersonalData]:
    people = {}
    for _ in range(count):
        body = PEOPLE.person()
        data = PersonalData(body["identity_code"], body["first_name"], body["last_name"])
        client_id = sealer.client_id_for(data.identity_code)
        await personal_data.insert(conn, sealer.seal(client_id, data))
        people[client_id] = data
    return people


async def all_records(conn: asyncpg.Connection) -> dict[UUID, asyncpg.Record]:
    rows = await conn.fetch("SELECT * FROM personal_data")
    return {row["client_id"]: row for row in rows}


def as_sealed(row: asyncpg.Record) -> SealedRecord:
    return SealedRecord(row["client_id"], row["wrapped_key"], row["key_nonce"], row["nonce"],
                        row["ciphertext"])


async def test_rotation_rewraps_every_live_key_once(database_url: str) -> None:
    conn = await migrated(database_url)
    try:
        people = await seal_people(conn, vault(KEY_A), CLIENTS)
        erased_id = next(iter(people))
        await personal_data.shred(conn, erased_id)
        live = {cid: data for cid, data in people.items() if cid != erased_id}
        before = await all_records(conn)

        # Step 1: the service runs with B current and A previous; old records still open.
        rotating = vault(KEY_B, KEY_A)
        for client_id, data in live.items():
            assert rotating.open(as_sealed(before[client_id])) == data
        # ...and a client registered now is sealed with B already.
        newcomer = await seal_people(conn, rotating, 1)

        # Step 2: re-wrap.
        seen: list[tuple[int, int]] = []
        changed = await personal_data.rewrap_all(
            conn, rotating, progress=lambda done, total: seen.append((done, total)))
        assert changed == len(live)
        assert seen[-1] == (len(live) + 1, len(live) + 1)

        after = await all_records(conn)
        for client_id in live:
            old, new = before[client_id], after[client_id]
            assert (new["nonce"], new["ciphertext"]) == (old["nonce"], old["ciphertext"])
            assert new["wrapped_key"] != old["wrapped_key"]
            assert new["key_nonce"] != old["key_nonce"]
        # The newcomer was already under B: untouched.
        (newcomer_id,) = newcomer
        newcomer_row = await conn.fetchrow(
            "SELECT wrapped_key, key_nonce FROM personal_data WHERE client_id = $1", newcomer_id)
        assert newcomer_row == (after[newcomer_id]["wrapped_key"],
                                after[newcomer_id]["key_nonce"])

        # Step 3: the previous key is removed; everything opens with B alone, nothing with A.
        only_b, only_a = vault(KEY_B), vault(KEY_A)
        for client_id, data in {**live, **newcomer}.items():
            record = as_sealed(after[client_id])
            assert only_b.open(record) == data
            with pytest.raises(PersonalDataUnreadable):
                only_a.open(record)

        # The erased client stays erased: no key came back, erased_at kept.
        erased = after[erased_id]
        assert erased["wrapped_key"] is None and erased["key_nonce"] is None
        assert erased["erased_at"] == before[erased_id]["erased_at"] is not None
        with pytest.raises(PersonalDataErasedError):
            only_b.open(as_sealed(erased))

        # A second pass finds nothing to do and writes nothing.
        assert await personal_data.rewrap_all(conn, rotating) == 0
        assert await all_records(conn) == after
    finally:
        await conn.close()


async def test_rewrap_accepts_a_pool(database_url: str) -> None:
    conn = await migrated(database_url)
    try:
        await seal_people(conn, vault(KEY_A), 3)
    finally:
        await conn.close()
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    try:
        assert await personal_data.rewrap_all(pool, vault(KEY_B, KEY_A)) == 3
        assert await personal_data.rewrap_all(pool, vault(KEY_B, KEY_A)) == 0
    finally:
        await pool.close()


async def test_a_key_neither_master_opens_aborts_the_whole_rotation(database_url: str) -> None:
    conn = await migrated(database_url)
    try:
        await seal_people(conn, vault(KEY_A), 3)
        stranger_key = base64.b64encode(os.urandom(32)).decode()
        await seal_people(conn, vault(stranger_key), 1)
        before = await all_records(conn)
        with pytest.raises(PersonalDataUnreadable, match="1 client key"):
            await personal_data.rewrap_all(conn, vault(KEY_B, KEY_A))
        assert await all_records(conn) == before  # rolled back: A rows still under A
    finally:
        await conn.close()


async def test_rotation_locks_out_writers_and_sees_committed_writes(database_url: str) -> None:
    conn = await migrated(database_url)
    writer = await asyncpg.connect(database_url)
    try:
        await seal_people(conn, vault(KEY_A), 2)
        rotating = vault(KEY_B, KEY_A)
        async with writer.transaction():
            # An old replica still sealing with A, mid-transaction when the rotation starts.
            await seal_people(writer, vault(KEY_A), 1)
            rotation = asyncio.create_task(personal_data.rewrap_all(conn, rotating))
            waiting = []
            for _ in range(100):
                waiting = await writer.fetch(
                    """SELECT mode FROM pg_locks
                       WHERE relation = 'personal_data'::regclass AND NOT granted""")
                if waiting:
                    break
                await asyncio.sleep(0.05)
            assert [row["mode"] for row in waiting] == ["ShareRowExclusiveLock"]
            assert not rotation.done()
        # Once the writer commits, the rotation takes the lock and re-wraps its row too.
        assert await asyncio.wait_for(rotation, 10) == 3
        assert await personal_data.rewrap_all(conn, rotating) == 0
    finally:
        await writer.close()
        await conn.close()


def test_cli_rotates_the_referral_database(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from polku.cli import app

    async def seed() -> dict[UUID, PersonalData]:
        conn = await migrated(database_url)
        try:
            return await seal_people(conn, vault(KEY_A), 4)
        finally:
            await conn.close()

    async def records() -> dict[UUID, asyncpg.Record]:
        conn = await asyncpg.connect(database_url)
        try:
            return await all_records(conn)
        finally:
            await conn.close()

    people = asyncio.run(seed())
    monkeypatch.delenv("REFERRAL_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("POLKU_CLIENT_ID_KEY", CLIENT_ID_KEY)
    monkeypatch.setenv("POLKU_PERSONAL_DATA_MASTER_KEY", KEY_B)
    monkeypatch.setenv("POLKU_PERSONAL_DATA_PREVIOUS_MASTER_KEY", KEY_A)
    result = CliRunner().invoke(app, ["rotate-master-key"])
    assert result.exit_code == 0, result.output
    assert "re-wrapped 4 client key(s)" in result.output
    after = asyncio.run(records())
    assert {cid: vault(KEY_B).open(as_sealed(row)) for cid, row in after.items()} == people
    again = CliRunner().invoke(app, ["rotate-master-key"])
    assert again.exit_code == 0 and "re-wrapped 0 client key(s)" in again.output
