"""Personal data at rest: envelope encryption with a per-client key, and crypto-shredding.

Each client's identity code and names are encrypted (AES-256-GCM) with the client's own data
key; the data key is stored only wrapped (AES-256-GCM) by the service's master key. Erasure
destroys the wrapped key, after which no key the service holds opens the ciphertext. The
client id is a keyed hash (HMAC-SHA256) of the normalised identity code, so the same code
always gives the same pseudonymous client_id and the id reveals nothing without the key.

Master-key rotation: the vault may also hold the previous master key. It opens with the
current key and falls back to the previous one, and always seals with the current key;
`rewrap_all` (`polku rotate-master-key`) re-wraps every remaining data key under the current
key, after which the previous key can be removed. The personal data itself is not
re-encrypted: only the wrapped data keys change.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from uuid import UUID

import asyncpg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class PersonalDataErasedError(Exception):
    """The client's data key has been destroyed: the personal data cannot be read any more."""


class PersonalDataUnreadable(Exception):
    """The ciphertext or wrapped key does not open with this service's keys."""


@dataclass(frozen=True)
class PersonalData:
    """What only the referral service ever sees in clear; never logged (repr hides it)."""

    identity_code: str = field(repr=False)
    first_name: str = field(repr=False)
    last_name: str = field(repr=False)


@dataclass(frozen=True)
class SealedRecord:
    """One `personal_data` row: `wrapped_key`/`key_nonce` are None once erased."""

    client_id: UUID
    wrapped_key: bytes | None
    key_nonce: bytes | None
    nonce: bytes
    ciphertext: bytes


def decode_master_key(value: str, *, setting: str = "POLKU_PERSONAL_DATA_MASTER_KEY") -> bytes:
    try:
        key = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError(f"{setting} must be base64 "
                         "(e.g. `openssl rand -base64 32`)") from error
    if len(key) != 32:
        raise ValueError(f"{setting} must decode to exactly 32 bytes, "
                         f"it decodes to {len(key)}")
    return key


class PersonalDataVault:
    """Seals and opens personal data; derives client ids. Holds the keys, never the data."""

    def __init__(
        self, *, master_key: str, client_id_key: str, previous_master_key: str | None = None
    ) -> None:
        if not client_id_key:
            raise ValueError("POLKU_CLIENT_ID_KEY must not be empty")
        current = decode_master_key(master_key)
        self._master = AESGCM(current)
        self._previous: AESGCM | None = None
        if previous_master_key:
            previous = decode_master_key(
                previous_master_key, setting="POLKU_PERSONAL_DATA_PREVIOUS_MASTER_KEY")
            if not hmac.compare_digest(previous, current):
                self._previous = AESGCM(previous)
        self._client_id_key = client_id_key.encode()

    @property
    def has_previous_key(self) -> bool:
        """Whether a previous master key (different from the current one) is configured."""
        return self._previous is not None

    def identity_digest(self, identity_code: str) -> bytes:
        """The keyed hash of the normalised identity code: the key of the identity index."""
        normalised = identity_code.strip().upper().encode()
        return hmac.new(self._client_id_key, normalised, hashlib.sha256).digest()

    def client_id_for(self, identity_code: str) -> UUID:
        """The first client id a code gets: an RFC 9562 version 8 UUID from the keyed hash
        (a code whose client was erased gets a random one: see `identity_index`)."""
        digest = bytearray(self.identity_digest(identity_code)[:16])
        digest[6] = (digest[6] & 0x0F) | 0x80
        digest[8] = (digest[8] & 0x3F) | 0x80
        return UUID(bytes=bytes(digest))

    def seal(self, client_id: UUID, data: PersonalData) -> SealedRecord:
        data_key = AESGCM.generate_key(bit_length=256)
        aad = client_id.bytes  # binds each ciphertext and wrapped key to its row
        nonce, key_nonce = os.urandom(NONCE_BYTES), os.urandom(NONCE_BYTES)
        plaintext = json.dumps({"identity_code": data.identity_code,
                                "first_name": data.first_name,
                                "last_name": data.last_name}).encode()
        return SealedRecord(
            client_id=client_id,
            wrapped_key=self._master.encrypt(key_nonce, data_key, aad),
            key_nonce=key_nonce,
            nonce=nonce,
            ciphertext=AESGCM(data_key).encrypt(nonce, plaintext, aad),
        )

    def _unwrap(self, record: SealedRecord) -> tuple[bytes, bool]:
        """The record's data key, and whether it is wrapped by the current master key."""
        if record.wrapped_key is None or record.key_nonce is None:
            raise PersonalDataErasedError("the client's personal data have been erased")
        aad = record.client_id.bytes
        try:
            return self._master.decrypt(record.key_nonce, record.wrapped_key, aad), True
        except InvalidTag:
            pass
        if self._previous is None:
            raise PersonalDataUnreadable("personal data do not open with the configured "
                                         "master key")
        try:
            return self._previous.decrypt(record.key_nonce, record.wrapped_key, aad), False
        except InvalidTag:
            raise PersonalDataUnreadable("personal data open with neither the current nor the "
                                         "previous master key") from None

    def open(self, record: SealedRecord) -> PersonalData:
        data_key, _current = self._unwrap(record)
        aad = record.client_id.bytes
        try:
            plaintext = AESGCM(data_key).decrypt(record.nonce, record.ciphertext, aad)
        except InvalidTag as error:
            raise PersonalDataUnreadable("personal data do not open with their data key "
                                         "(ciphertext damaged)") from error
        values = json.loads(plaintext)
        return PersonalData(values["identity_code"], values["first_name"], values["last_name"])

    def rewrap(self, record: SealedRecord) -> SealedRecord | None:
        """The record with its data key wrapped by the current master key (fresh key nonce),
        or None when it already is. Erased records raise PersonalDataErasedError, records that
        open with neither key PersonalDataUnreadable. The ciphertext is not touched."""
        data_key, current = self._unwrap(record)
        if current:
            return None
        key_nonce = os.urandom(NONCE_BYTES)
        wrapped_key = self._master.encrypt(key_nonce, data_key, record.client_id.bytes)
        return replace(record, wrapped_key=wrapped_key, key_nonce=key_nonce)


async def insert(conn: asyncpg.Connection, record: SealedRecord) -> None:
    await conn.execute(
        """INSERT INTO personal_data (client_id, wrapped_key, key_nonce, nonce, ciphertext)
           VALUES ($1, $2, $3, $4, $5)""",
        record.client_id, record.wrapped_key, record.key_nonce, record.nonce, record.ciphertext,
    )


async def shred(conn: asyncpg.Connection, client_id: UUID) -> None:
    """Destroy the client's wrapped data key (crypto-shredding; the ciphertext stays) and
    unlink the identity code: the code no longer leads to this client."""
    await conn.execute(
        """UPDATE personal_data SET wrapped_key = NULL, key_nonce = NULL, erased_at = now()
           WHERE client_id = $1""",
        client_id,
    )
    await conn.execute("DELETE FROM identity_index WHERE client_id = $1", client_id)


async def indexed_client(pool: asyncpg.Pool, digest: bytes) -> UUID | None:
    """The client the identity code leads to, if it was registered since the index began."""
    client_id: UUID | None = await pool.fetchval(
        "SELECT client_id FROM identity_index WHERE code_digest = $1", digest)
    return client_id


async def index_client(conn: asyncpg.Connection, digest: bytes, client_id: UUID) -> None:
    """Link the code to its new client, in the registration's transaction: a concurrent
    registration of the same code fails here (unique key) and retries."""
    await conn.execute(
        "INSERT INTO identity_index (code_digest, client_id) VALUES ($1, $2)", digest, client_id)


async def load(pool: asyncpg.Pool, client_id: UUID) -> SealedRecord | None:
    row = await pool.fetchrow(
        """SELECT client_id, wrapped_key, key_nonce, nonce, ciphertext
           FROM personal_data WHERE client_id = $1""",
        client_id,
    )
    if row is None:
        return None
    return SealedRecord(row["client_id"], row["wrapped_key"], row["key_nonce"], row["nonce"],
                        row["ciphertext"])


REWRAP_BATCH = 1000


async def rewrap_all(
    pool_or_conn: asyncpg.Pool | asyncpg.Connection,
    vault: PersonalDataVault,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Re-wrap, in one transaction, every data key not yet under the current master key.

    The table is locked against writes (SHARE ROW EXCLUSIVE: reads go on, inserts and
    erasures wait) so no row changes under the rotation. Keys already under the current
    master key and erased rows are left alone. If any key opens with neither master key,
    nothing is written and PersonalDataUnreadable is raised: removing the previous key then
    would lose those clients' data. `progress(checked, total)` is called after each batch.
    Returns how many rows were re-wrapped.
    """
    if isinstance(pool_or_conn, asyncpg.Pool):
        async with pool_or_conn.acquire() as conn:
            return await _rewrap_all(conn, vault, progress)
    return await _rewrap_all(pool_or_conn, vault, progress)


async def _rewrap_all(
    conn: asyncpg.Connection,
    vault: PersonalDataVault,
    progress: Callable[[int, int], None] | None,
) -> int:
    changed = 0
    unreadable: list[UUID] = []
    async with conn.transaction():
        await conn.execute("LOCK TABLE personal_data IN SHARE ROW EXCLUSIVE MODE")
        total = await conn.fetchval(
            "SELECT count(*) FROM personal_data WHERE wrapped_key IS NOT NULL")
        checked = 0
        after: UUID | None = None
        while True:
            # Keyset pagination on the primary key keeps memory flat however many clients.
            rows = await conn.fetch(
                """SELECT client_id, wrapped_key, key_nonce, nonce, ciphertext
                   FROM personal_data
                   WHERE wrapped_key IS NOT NULL AND ($1::uuid IS NULL OR client_id > $1)
                   ORDER BY client_id LIMIT $2""",
                after, REWRAP_BATCH,
            )
            if not rows:
                break
            updates = []
            for row in rows:
                record = SealedRecord(row["client_id"], row["wrapped_key"], row["key_nonce"],
                                      row["nonce"], row["ciphertext"])
                try:
                    rewrapped = vault.rewrap(record)
                except PersonalDataUnreadable:
                    unreadable.append(record.client_id)
                    continue
                if rewrapped is not None:
                    updates.append((rewrapped.client_id, rewrapped.wrapped_key,
                                    rewrapped.key_nonce))
            if updates:
                await conn.executemany(
                    """UPDATE personal_data SET wrapped_key = $2, key_nonce = $3
                       WHERE client_id = $1 AND wrapped_key IS NOT NULL""",
                    updates,
                )
                changed += len(updates)
            checked += len(rows)
            after = rows[-1]["client_id"]
            if progress is not None:
                progress(checked, total)
        if unreadable:
            # Raising inside the transaction rolls every re-wrap back.
            raise PersonalDataUnreadable(
                f"{len(unreadable)} client key(s) open with neither the current nor the "
                f"previous master key (first client_id {unreadable[0]}); nothing was changed. "
                "Check POLKU_PERSONAL_DATA_PREVIOUS_MASTER_KEY."
            )
    return changed
