"""Where assessment and coaching keep what they learn from polku.referral.v1 for the access
policy: the `AccessStore` port — the client's facts, the case index — with its PostgreSQL
implementation (the consumer's tables) and an in-memory one (handler tests, no server).

The consumer `record`s the referral events; handlers `load_client_facts` and `find_case`.
Both implementations keep the events the policy folds (a redelivered event once, in the
order recorded) and fold them with the same `facts_from_rows`.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

import asyncpg
from pydantic import BaseModel

from contracts.events.base import Event
from contracts.events.referral import CaseClosed, CaseOpened, ResponsibilityTransferred
from contracts.registry import REGISTRY as EVENT_REGISTRY
from services.runtime.access.facts import ACCESS_EVENT_TYPES, ClientFacts, fold
from services.runtime.intake import ConsumedEvent

# (event type, data version, data, actororg): a stored referral event the facts fold.
AccessRow = tuple[str, int, object, str]


@dataclass(frozen=True)
class CaseInfo:
    case_id: UUID
    client_id: UUID
    holder: str
    service: str
    responsible_worker_id: UUID | None
    closed: bool


def facts_from_rows(rows: Iterable[AccessRow]) -> ClientFacts:
    """Facts from stored referral events: (type, dataversion, data, actororg) in commit
    order. Types the policy does not read are skipped without parsing."""
    def events() -> Iterable[tuple[Event, str]]:
        for type_, version, data, actor_org in rows:
            if type_ in ACCESS_EVENT_TYPES:
                payload = json.loads(data) if isinstance(data, str | bytes) else data
                yield EVENT_REGISTRY.parse(type_, version, payload), actor_org  # type: ignore[arg-type]
    return fold(events())


def access_rows(events: Sequence[ConsumedEvent]) -> list[tuple[UUID, UUID, str, str, int, str]]:
    """(event_id, client_id, actororg, type, dataversion, data as JSON) of the consumed
    events the policy folds."""
    return [(e.event_id, e.envelope.clientid, e.envelope.actororg, e.type,
             e.envelope.dataversion, json.dumps(e.envelope.data, default=str))
            for e in events if e.type in ACCESS_EVENT_TYPES and e.envelope.clientid]


class AccessStore(ABC):
    """The referral events a service consumed, as the access policy reads them."""

    @abstractmethod
    async def load_client_facts(self, client_id: UUID) -> ClientFacts:
        """The client's facts (unregistered facts for a client never heard of)."""

    @abstractmethod
    async def find_case(self, case_id: UUID) -> CaseInfo | None:
        """The case as the referral events told it (None: not heard of)."""

    @abstractmethod
    async def record(self, events: Sequence[ConsumedEvent], conn: Any = None) -> None:
        """Keep the events the policy folds (a redelivered one once) and index the cases.
        `conn`: the consumer's transaction (its PostgreSQL connection), so that what is
        recorded commits with the offsets; in memory, where there is none, ignored."""


# PostgreSQL -------------------------------------------------------------------------------


async def load_client_facts(
    conn: asyncpg.Connection | asyncpg.Pool, client_id: UUID
) -> ClientFacts:
    rows = await conn.fetch(
        """SELECT event_type, dataversion, data, actor_org FROM access_events
           WHERE client_id = $1 ORDER BY position""",
        client_id,
    )
    return facts_from_rows((r["event_type"], r["dataversion"], r["data"], r["actor_org"])
                           for r in rows)


async def store_access_events(conn: asyncpg.Connection, events: Sequence[ConsumedEvent]) -> None:
    """Keep the referral events the policy folds (redelivery inserts nothing), and the case
    index that commands naming a case use."""
    rows = access_rows(events)
    if rows:
        await conn.executemany(
            """INSERT INTO access_events
                   (event_id, client_id, actor_org, event_type, dataversion, data)
               VALUES ($1, $2, $3, $4, $5, $6::jsonb) ON CONFLICT (event_id) DO NOTHING""",
            rows,
        )
    for event in events:
        await _index_case(conn, event.data)


async def _index_case(conn: asyncpg.Connection, data: BaseModel) -> None:
    match data:
        case CaseOpened():
            await conn.execute(
                """INSERT INTO access_cases (case_id, client_id, opened_by, holder, service,
                                            responsible_worker_id, referral_id)
                   VALUES ($1, $2, $3, $3, $4, $5, $6) ON CONFLICT (case_id) DO NOTHING""",
                data.case_id, data.client_id, data.organisation_id, data.service.value,
                data.responsible_worker_id, data.referral_id,
            )
        case ResponsibilityTransferred():
            await conn.execute(
                """UPDATE access_cases SET holder = $2, responsible_worker_id = $3
                   WHERE case_id = $1""",
                data.case_id, data.to_organisation_id, data.to_worker_id,
            )
        case CaseClosed():
            await conn.execute("UPDATE access_cases SET closed = true WHERE case_id = $1",
                               data.case_id)


class PostgresAccessStore(AccessStore):
    """The tables access_events and access_cases (migrations of services.runtime.access)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def load_client_facts(self, client_id: UUID) -> ClientFacts:
        return await load_client_facts(self.pool, client_id)

    async def find_case(self, case_id: UUID) -> CaseInfo | None:
        row = await self.pool.fetchrow(
            """SELECT case_id, client_id, holder, service, responsible_worker_id, closed
               FROM access_cases WHERE case_id = $1""",
            case_id,
        )
        return CaseInfo(**dict(row)) if row else None

    async def record(self, events: Sequence[ConsumedEvent], conn: Any = None) -> None:
        if conn is not None:
            await store_access_events(conn, events)
            return
        async with self.pool.acquire() as own, own.transaction():
            await store_access_events(own, events)


# In memory --------------------------------------------------------------------------------


class InMemoryAccessStore(AccessStore):
    """The same events and case index in this process's memory."""

    def __init__(self) -> None:
        self._rows: dict[UUID, list[AccessRow]] = {}  # per client, in the order recorded
        self._recorded: set[UUID] = set()
        self._cases: dict[UUID, CaseInfo] = {}

    async def load_client_facts(self, client_id: UUID) -> ClientFacts:
        return facts_from_rows(self._rows.get(client_id, ()))

    async def find_case(self, case_id: UUID) -> CaseInfo | None:
        return self._cases.get(case_id)

    async def record(self, events: Sequence[ConsumedEvent], conn: Any = None) -> None:
        for event_id, client_id, actor_org, type_, version, data in access_rows(events):
            if event_id not in self._recorded:
                self._recorded.add(event_id)
                self._rows.setdefault(client_id, []).append((type_, version, data, actor_org))
        for event in events:
            self._index_case(event.data)

    def _index_case(self, data: BaseModel) -> None:
        match data:
            case CaseOpened() if data.case_id not in self._cases:
                self._cases[data.case_id] = CaseInfo(
                    data.case_id, data.client_id, data.organisation_id, data.service.value,
                    data.responsible_worker_id, closed=False)
            case ResponsibilityTransferred() if data.case_id in self._cases:
                self._cases[data.case_id] = replace(
                    self._cases[data.case_id], holder=data.to_organisation_id,
                    responsible_worker_id=data.to_worker_id)
            case CaseClosed() if data.case_id in self._cases:
                self._cases[data.case_id] = replace(self._cases[data.case_id], closed=True)
