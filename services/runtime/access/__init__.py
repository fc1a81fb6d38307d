"""The access policy's adapters: who is acting, the client's facts from the service's
`AccessStore`, the verdict as a typed error, and the consumer of the referral events that
assessment and coaching keep.

The rules themselves are in `policy.py` (pure) over the facts of `facts.py` (a pure fold);
where the referral events are kept is `store.py` (PostgreSQL, or in memory for tests); this
module only loads and records through it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from contracts.commands.base import Command
from contracts.organisations import OrganisationRegistry
from contracts.topics import REFERRAL_TOPIC
from services.runtime.access.facts import ACCESS_EVENT_TYPES, ClientFacts
from services.runtime.access.policy import DEFAULT_WINDOWS, Actor, Verdict, Windows, may_write_about
from services.runtime.access.store import (
    AccessStore,
    CaseInfo,
    InMemoryAccessStore,
    PostgresAccessStore,
    facts_from_rows,
    load_client_facts,
)
from services.runtime.errors import NotAuthorised, NotFound
from services.runtime.intake import ConsumedEvent, ConsumerSpec, Handler
from services.runtime.metrics import ACCESS_REFUSALS
from services.runtime.principal import Principal

MIGRATIONS = "services.runtime.access"

__all__ = [
    "ACCESS_EVENT_TYPES",
    "MIGRATIONS",
    "AccessStore",
    "CaseInfo",
    "InMemoryAccessStore",
    "PostgresAccessStore",
    "access_consumer",
    "actor_of",
    "business_day",
    "enforce",
    "facts_from_rows",
    "find_case",
    "load_client_facts",
    "require_access_store",
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


def require_known_client(facts: ClientFacts, client_id: UUID) -> ClientFacts:
    if not facts.registered:
        raise NotFound(
            f"client {client_id} is not known to this service (yet): register the client "
            "in the referral service; its events arrive here within seconds (send the "
            "Polku-Consistency token of the registration to wait for them)"
        )
    return facts


# Assessment and coaching: the referral events they consume -------------------------------


def require_access_store(access: AccessStore | None) -> AccessStore:
    """The service's access store; a service that keeps none consumes no referral events
    for the policy, and asking it about a client is a wiring mistake."""
    if access is None:
        raise RuntimeError("this service keeps no access store (it does not apply the "
                           f"migrations {MIGRATIONS})")
    return access


def access_consumer(
    name: str, access: AccessStore | None, extra_types: frozenset[str] = frozenset(),
    handler: Handler | None = None,
) -> ConsumerSpec:
    """The consumer of polku.referral.v1 that records the access events in `access` (and,
    with `handler`, whatever else the service derives from referral events, in the same
    transaction)."""
    store = require_access_store(access)

    async def handle(conn: Any, events: list[ConsumedEvent]) -> None:
        await store.record(events, conn)
        if handler is not None:
            await handler(conn, events)

    return ConsumerSpec(
        name=name, topics=(REFERRAL_TOPIC,),
        subscribed_types=ACCESS_EVENT_TYPES | extra_types, handler=handle,
    )


async def find_case(access: AccessStore | None, case_id: UUID) -> CaseInfo | None:
    return await require_access_store(access).find_case(case_id)


async def require_write_access(
    access: AccessStore | None, organisations: OrganisationRegistry,
    principal: Principal, client_id: UUID, day: date, windows: Windows = DEFAULT_WINDOWS,
) -> Verdict:
    """404 for a client this service has not heard of; 403 with the reason unless the
    policy lets the caller record data about the client on `day`."""
    facts = await require_access_store(access).load_client_facts(client_id)
    require_known_client(facts, client_id)
    return enforce(may_write_about(actor_of(principal, organisations), facts, day, windows),
                   "write_about_client")


def business_day(command: Command) -> date:
    """The business date a write is judged on: its `occurred_at`, else today."""
    return command.occurred_at_or(datetime.now(UTC)).date()
