"""A client's cross-organisation timeline from `event_log`, guarded and audited.

Every event about the client, from every service, in business-time order (ties: recorded
time, then arrival). Who may read it, and which events it shows, is the access policy's
(services/runtime/access/policy.py); every attempt is recorded in `timeline_reads`.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from contracts.organisations import OrganisationRegistry
from services.reporting.access import actor_of, enforce, facts_of
from services.runtime.access import policy
from services.runtime.access.facts import ClientFacts
from services.runtime.errors import NotFound
from services.runtime.logging import get_logger
from services.runtime.metrics import OWN_CONSENT_READS
from services.runtime.principal import Principal

log = get_logger(__name__)

# Attributes of a person that the timeline leaves out even though events may carry them;
# the professional id (`actor`) is left out too: the organisation and role say who acted.
PERSONAL_FIELDS = frozenset({"birth_year", "sex"})


async def client_events(conn: asyncpg.Connection, client_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT envelope::text AS envelope, occurred_at, recorded_at FROM event_log
           WHERE client_id = $1 ORDER BY occurred_at, recorded_at, ingest_seq""",
        client_id,
    )
    return [json.loads(r["envelope"]) for r in rows]


def entry(envelope: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in (envelope.get("data") or {}).items() if k not in PERSONAL_FIELDS}
    return {
        "event_id": envelope["id"],
        "occurred_at": data.get("occurred_at") or envelope["time"],
        "recorded_at": envelope["time"],
        "source": envelope.get("source"),
        "type": envelope["type"],
        "subject": envelope.get("subject"),
        "actor_organisation": envelope.get("actororg"),
        "actor_role": envelope.get("actorrole"),
        "data": data,
    }


async def record_read(
    conn: asyncpg.Connection, principal: Principal, client_id: UUID, verdict: policy.Verdict
) -> None:
    basis = verdict.basis.value if verdict.basis else verdict.reason[:200]
    await conn.execute(
        """INSERT INTO timeline_reads (reader_org, reader_sub, reader_role, client_id, granted,
                                       basis) VALUES ($1, $2, $3, $4, $5, $6)""",
        principal.org, principal.sub, principal.role.value, client_id, verdict.allowed, basis,
    )
    log.info("timeline.read", reader_org=principal.org, client_id=str(client_id),
             granted=verdict.allowed)


def shown(facts: ClientFacts, org: str, today: date, envelope: dict[str, Any]) -> bool:
    case_id = (envelope.get("data") or {}).get("case_id")
    return policy.timeline_shows(
        facts, org, today, event_actor_org=envelope.get("actororg", ""),
        event_case_id=UUID(case_id) if case_id else None)


async def read_timeline(
    conn: asyncpg.Connection, principal: Principal, organisations: OrganisationRegistry,
    client_id: UUID, today: date, windows: policy.Windows = policy.DEFAULT_WINDOWS,
) -> list[dict[str, Any]]:
    """The events of the timeline the caller may see, or NotAuthorised with the reason;
    both recorded."""
    envelopes = await client_events(conn, client_id)
    if not envelopes:
        raise NotFound(f"no events about client {client_id}")
    actor = actor_of(principal, organisations)
    facts = facts_of(envelopes)
    verdict = policy.may_read_timeline(actor, facts, today, windows)
    await record_read(conn, principal, client_id, verdict)
    enforce(verdict, "read_timeline")
    if verdict.basis is policy.Basis.OWN_CONSENT:
        OWN_CONSENT_READS.labels(principal.org, "timeline").inc()
    return [entry(e) for e in envelopes if shown(facts, principal.org, today, e)]
