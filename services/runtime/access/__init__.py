"""The access policy's adapters: who is acting, the client's facts from storage, the verdict
as a typed error, and the store of referral events that assessment and coaching consume.

The rules themselves are in `policy.py` (pure) over the facts of `facts.py` (a pure fold);
this module only loads and records.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID

import asyncpg

from contracts.commands.base import Command
from contracts.events.base import Event
from contracts.organisations import OrganisationRegistry
from contracts.registry import REGISTRY as EVENT_REGISTRY
from contracts.topics import REFERRAL_TOPIC
from services.runtime.access.facts import ACCESS_EVENT_TYPES, ClientFacts, fold
from services.runtime.access.policy import DEFAULT_WINDOWS, Actor, Verdict, Windows, may_write_about
from services.runtime.consumer import ConsumedEvent, ConsumerSpec
from services.runtime.errors import NotAuthorised, NotFound
from services.runtime.http import Principal
from services.runtime.metrics import ACCESS_REFUSALS

MIGRATIONS = "services.runtime.access"

__all__ = [
    "ACCESS_EVENT_TYPES",
    "MIGRATIONS",
    "CaseInfo",
    "access_consumer",
    "actor_of",
    "business_day",
    "enforce",
    "facts_from_rows",
    "find_case",
    "load_client_facts",
    "require_known_client",
    "require_write_access",
]


def actor_of(principal: Principal, organisations: OrganisationRegistry) -> Actor:
    kind = (organisations.kind_of(principal.org) if principal.org in organisations else None)
    return Actor(principal.org, principal.role, kind)


def enforce(verdict: Verdict, action: str) -> Verdict:
    """The verdict, or a 403 carrying its reason (and counted)."""
    if not verdict.allowed:
        ACCESS_REFUSALS.labels(action).inc()
        raise NotAuthorised(verdict.reason)
    return verdict


def windows_of(settings: object) -> Windows:
    days = getattr(settings, "polku_access_involvement_days", None)
    return Windows(involvement_days=days) if isinstance(days, int) else Windows()


def facts_from_rows(rows: Iterable[tuple[str, int, object, str]]) -> ClientFacts:
    """Facts from stored referral events: (type, dataversion, data, actororg) in commit
    order. Types the policy does not read are skipped without parsing."""
    def events() -> Iterable[tuple[Event, str]]:
        for type_, version, data, actor_org in rows:
            if type_ in ACCESS_EVENT_TYPES:
                payload = json.loads(data) if isinstance(data, str | bytes) else data
                yield EVENT_REGISTRY.parse(type_, version, payload), actor_org  # type: ignore[arg-type]
    return fold(events())


def require_known_client(facts: ClientFacts, client_id: UUID) -> ClientFacts:
    if not facts.registered:
        raise NotFound(
            f"client {client_id} is not known to this service (yet): register the client "
            "in the referral service; its events arrive here within seconds (send the "
            "Polku-Consistency token of the registration to wait for them)"
        )
    return facts


# Assessment and coaching: the referral events they consume -------------------------------


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


async def store_access_events(conn: asyncpg.Connection, events: list[ConsumedEvent]) -> None:
    """Keep the referral events the policy folds (redelivery inserts nothing), and the case
    index that commands naming a case use."""
    rows = [(e.event_id, e.envelope.clientid, e.envelope.actororg, e.type,
             e.envelope.dataversion, json.dumps(e.envelope.data, default=str))
            for e in events if e.type in ACCESS_EVENT_TYPES and e.envelope.clientid]
    if rows:
        await conn.executemany(
            """INSERT INTO access_events
                   (event_id, client_id, actor_org, event_type, dataversion, data)
               VALUES ($1, $2, $3, $4, $5, $6::jsonb) ON CONFLICT (event_id) DO NOTHING""",
            rows,
        )
    for event in events:
        await _index_case(conn, event.data)


async def _index_case(conn: asyncpg.Connection, data: object) -> None:
    from contracts.events.referral import CaseClosed, CaseOpened, ResponsibilityTransferred

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


def access_consumer(
    name: str, extra_types: frozenset[str] = frozenset(), handler=None  # type: ignore[no-untyped-def]
) -> ConsumerSpec:
    """The consumer of polku.referral.v1 that keeps the access events (and, with `handler`,
    whatever else the service derives from referral events, in the same transaction)."""

    async def handle(conn: asyncpg.Connection, events: list[ConsumedEvent]) -> None:
        await store_access_events(conn, events)
        if handler is not None:
            await handler(conn, events)

    return ConsumerSpec(
        name=name, topics=(REFERRAL_TOPIC,),
        subscribed_types=ACCESS_EVENT_TYPES | extra_types, handler=handle,
    )


@dataclass(frozen=True)
class CaseInfo:
    case_id: UUID
    client_id: UUID
    holder: str
    service: str
    responsible_worker_id: UUID | None
    closed: bool


async def find_case(conn: asyncpg.Connection | asyncpg.Pool, case_id: UUID) -> CaseInfo | None:
    row = await conn.fetchrow(
        """SELECT case_id, client_id, holder, service, responsible_worker_id, closed
           FROM access_cases WHERE case_id = $1""",
        case_id,
    )
    return CaseInfo(**dict(row)) if row else None


async def require_write_access(
    conn: asyncpg.Connection | asyncpg.Pool, organisations: OrganisationRegistry,
    principal: Principal, client_id: UUID, day: date, windows: Windows = DEFAULT_WINDOWS,
) -> Verdict:
    """404 for a client this service has not heard of; 403 with the reason unless the
    policy lets the caller record data about the client on `day`."""
    facts = require_known_client(await load_client_facts(conn, client_id), client_id)
    return enforce(may_write_about(actor_of(principal, organisations), facts, day, windows),
                   "write_about_client")


def business_day(command: Command) -> date:
    """The business date a write is judged on: its `occurred_at`, else today."""
    return command.occurred_at_or(datetime.now(UTC)).date()
