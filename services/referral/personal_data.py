"""Personal data at rest: envelope encryption with a per-client key, and crypto-shredding.

Each client's identity code and names are encrypted (AES-256-GCM) with the client's own data
key; the data key is stored only wrapped (AES-256-GCM) by the service's master key. Erasure
destroys the wrapped key, after which no key the service holds opens the ciphertext. The
client id is a keyed hash (HMAC-SHA256) of the normalised identity code, so the same code
always gives the same pseudonymous client_id and the id reveals nothing without the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
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


def decode_master_key(value: str) -> bytes:
    try:
        key = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError("POLKU_PERSONAL_DATA_MASTER_KEY must be base64 "
                         "(e.g. `openssl rand -base64 32`)") from error
    if len(key) != 32:
        raise ValueError("POLKU_PERSONAL_DATA_MASTER_KEY must decode to exactly 32 bytes, "
                         f"it decodes to {len(key)}")
    return key


class PersonalDataVault:
    """Seals and opens personal data; derives client ids. Holds the keys, never the data."""

    def __init__(self, *, master_key: str, client_id_key: str) -> None:
        if not client_id_key:
            raise ValueError("POLKU_CLIENT_ID_KEY must not be empty")
        self._master = AESGCM(decode_master_key(master_key))
        self._client_id_key = client_id_key.encode()

    def client_id_for(self, identity_code: str) -> UUID:
        """Deterministic pseudonymous id: an RFC 9562 version 8 UUID from a keyed hash."""
        normalised = identity_code.strip().upper().encode()
        digest = bytearray(hmac.new(self._client_id_key, normalised, hashlib.sha256).digest()[:16])
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

    def open(self, record: SealedRecord) -> PersonalData:
        if record.wrapped_key is None or record.key_nonce is None:
            raise PersonalDataErasedError("the client's personal data have been erased")
        aad = record.client_id.bytes
        try:
            data_key = self._master.decrypt(record.key_nonce, record.wrapped_key, aad)
            plaintext = AESGCM(data_key).decrypt(record.nonce, record.ciphertext, aad)
        except InvalidTag as error:
            raise PersonalDataUnreadable("personal data do not open with the configured "
                                         "master key") from error
        values = json.loads(plaintext)
        return PersonalData(values["identity_code"], values["first_name"], values["last_name"])


async def insert(conn: asyncpg.Connection, record: SealedRecord) -> None:
    await conn.execute(
        """INSERT INTO personal_data (client_id, wrapped_key, key_nonce, nonce, ciphertext)
           VALUES ($1, $2, $3, $4, $5)""",
        record.client_id, record.wrapped_key, record.key_nonce, record.nonce, record.ciphertext,
    )


async def shred(conn: asyncpg.Connection, client_id: UUID) -> None:
    """Destroy the client's wrapped data key (crypto-shredding); the ciphertext stays."""
    await conn.execute(
        """UPDATE personal_data SET wrapped_key = NULL, key_nonce = NULL, erased_at = now()
           WHERE client_id = $1""",
        client_id,
    )


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
