"""The referral service's side records behind one port: the sealed personal data, the
identity index and the read audit, in PostgreSQL (the service) or in memory (handler tests).

The transactional writes (`insert`, `index_client`, `shred`) take the event store's
transaction handle that a `Decision.in_transaction` write receives: the `asyncpg.Connection`
of the append in PostgreSQL, the append's `SideTables` in memory — so they commit or vanish
with the events. A key already taken (the same identity code registered concurrently) is
`RecordTaken` in both. The read audit is written on its own, granted or refused.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

import asyncpg

from services.referral import personal_data
from services.referral.access import ReadPurpose
from services.referral.personal_data import SealedRecord
from services.runtime.access.policy import Verdict
from services.runtime.eventstore_memory import InMemoryEventStore, SideTables
from services.runtime.principal import Principal

__all__ = ["InMemoryRecords", "PersonalDataRead", "PersonalDataRecords", "PostgresRecords",
           "RecordTaken"]


class RecordTaken(Exception):
    """A side record's key is taken: a client id with personal data, or an identity code
    already indexed (a concurrent registration of the same code won; the caller retries)."""


@dataclass(frozen=True)
class PersonalDataRead:
    """One row of the read audit (`personal_data_reads`)."""

    client_id: UUID
    reader_org: str
    reader_sub: str
    reader_role: str
    purpose: str
    granted: bool
    basis: str

    @classmethod
    def of(cls, client_id: UUID, principal: Principal, purpose: ReadPurpose,
           verdict: Verdict) -> PersonalDataRead:
        return cls(client_id, principal.org, principal.sub, principal.role.value,
                   purpose.value, verdict.allowed,
                   verdict.basis.value if verdict.basis else verdict.reason[:200])


class PersonalDataRecords(ABC):
    """What the referral handlers store beside the events."""

    @abstractmethod
    async def insert(self, tx: Any, record: SealedRecord) -> None:
        """Store a client's sealed personal data, in the append's transaction."""

    @abstractmethod
    async def index_client(self, tx: Any, digest: bytes, client_id: UUID) -> None:
        """Link the identity code's digest to its new client, in the append's transaction."""

    @abstractmethod
    async def shred(self, tx: Any, client_id: UUID) -> None:
        """Destroy the client's wrapped data key and unlink its identity code, in the
        append's transaction (crypto-shredding: the ciphertext stays)."""

    @abstractmethod
    async def indexed_client(self, digest: bytes) -> UUID | None:
        """The client the identity code's digest leads to, if any."""

    @abstractmethod
    async def load(self, client_id: UUID) -> SealedRecord | None:
        """The client's sealed personal data (erased ones without their key), if stored."""

    @abstractmethod
    async def record_read(self, read: PersonalDataRead) -> None:
        """Record one read of personal data, granted or refused (DESIGN.md)."""


class PostgresRecords(PersonalDataRecords):
    """The side tables of the referral service's database (services/referral/migrations)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def insert(self, tx: Any, record: SealedRecord) -> None:
        try:
            await personal_data.insert(tx, record)
        except asyncpg.UniqueViolationError as error:
            raise RecordTaken("personal data are already stored for this client") from error

    async def index_client(self, tx: Any, digest: bytes, client_id: UUID) -> None:
        try:
            await personal_data.index_client(tx, digest, client_id)
        except asyncpg.UniqueViolationError as error:
            raise RecordTaken("the identity code is already indexed") from error

    async def shred(self, tx: Any, client_id: UUID) -> None:
        await personal_data.shred(tx, client_id)

    async def indexed_client(self, digest: bytes) -> UUID | None:
        return await personal_data.indexed_client(self.pool, digest)

    async def load(self, client_id: UUID) -> SealedRecord | None:
        return await personal_data.load(self.pool, client_id)

    async def record_read(self, read: PersonalDataRead) -> None:
        await self.pool.execute(
            """INSERT INTO personal_data_reads
                   (client_id, reader_org, reader_sub, reader_role, purpose, granted, basis)
               VALUES ($1, $2, $3, $4, $5, $6, $7)""",
            read.client_id, read.reader_org, read.reader_sub, read.reader_role, read.purpose,
            read.granted, read.basis,
        )


PERSONAL_DATA, IDENTITY_INDEX = "personal_data", "identity_index"


class InMemoryRecords(PersonalDataRecords):
    """The same records in the in-memory event store's side tables (`personal_data`:
    client id → SealedRecord, `identity_index`: digest → client id); the read audit in
    `reads`, in the order the reads happened."""

    def __init__(self, store: InMemoryEventStore) -> None:
        self.store = store
        self.reads: list[PersonalDataRead] = []

    async def insert(self, tx: SideTables, record: SealedRecord) -> None:
        table = tx.table(PERSONAL_DATA)
        if record.client_id in table:
            raise RecordTaken("personal data are already stored for this client")
        table[record.client_id] = record

    async def index_client(self, tx: SideTables, digest: bytes, client_id: UUID) -> None:
        table = tx.table(IDENTITY_INDEX)
        if digest in table or client_id in table.values():
            raise RecordTaken("the identity code is already indexed")
        table[digest] = client_id

    async def shred(self, tx: SideTables, client_id: UUID) -> None:
        records = tx.table(PERSONAL_DATA)
        found: SealedRecord | None = records.get(client_id)
        if found is not None:
            records[client_id] = replace(found, wrapped_key=None, key_nonce=None)
        index = tx.table(IDENTITY_INDEX)
        for digest in [d for d, c in index.items() if c == client_id]:
            del index[digest]

    async def indexed_client(self, digest: bytes) -> UUID | None:
        found: UUID | None = self.store.table(IDENTITY_INDEX).get(digest)
        return found

    async def load(self, client_id: UUID) -> SealedRecord | None:
        found: SealedRecord | None = self.store.table(PERSONAL_DATA).get(client_id)
        return found

    async def record_read(self, read: PersonalDataRead) -> None:
        self.reads.append(read)
