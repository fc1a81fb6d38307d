"""The access policy's adapter in the referral service: the client's facts from its own event
store, the verdict as a typed error, the read audit and the accountability metrics.

The rules are in services/runtime/access/policy.py; nothing here decides.
"""

from __future__ import annotations

import json
from enum import StrEnum
from uuid import UUID

import asyncpg

from services.runtime.access import actor_of, enforce, facts_from_rows
from services.runtime.access.facts import ACCESS_EVENT_TYPES, ClientFacts
from services.runtime.access.policy import Actor, Basis, Verdict
from services.runtime.http import Principal
from services.runtime.metrics import CONSENTS_BY_REFERRERS, OWN_CONSENT_READS, SELF_REFERRALS

__all__ = ["ReadPurpose", "actor_of", "count_consent", "count_read", "count_referral",
           "enforce", "load_facts", "record_read"]


class ReadPurpose(StrEnum):
    """Why personal data are read (recorded with the read)."""

    CLIENT_SERVICE = "client_service"
    REFERRAL_HANDLING = "referral_handling"
    CASE_MANAGEMENT = "case_management"
    DATA_SUBJECT_REQUEST = "data_subject_request"


async def load_facts(conn: asyncpg.Connection | asyncpg.Pool, client_id: UUID) -> ClientFacts:
    """The client's facts from every stream about it (client, referrals, cases)."""
    rows = await conn.fetch(
        """SELECT envelope FROM events WHERE client_id = $1 AND event_type = ANY($2::text[])
           ORDER BY position""",
        client_id, list(ACCESS_EVENT_TYPES),
    )
    envelopes = [json.loads(row["envelope"]) for row in rows]
    return facts_from_rows((e["type"], e["dataversion"], e["data"], e["actororg"])
                           for e in envelopes)


async def record_read(
    pool: asyncpg.Pool | asyncpg.Connection, client_id: UUID, principal: Principal,
    purpose: ReadPurpose, verdict: Verdict,
) -> None:
    """Every read of personal data, granted or refused, is recorded (DESIGN.md)."""
    await pool.execute(
        """INSERT INTO personal_data_reads
               (client_id, reader_org, reader_sub, reader_role, purpose, granted, basis)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        client_id, principal.org, principal.sub, principal.role.value, purpose.value,
        verdict.allowed, verdict.basis.value if verdict.basis else verdict.reason[:200],
    )


def count_read(actor: Actor, verdict: Verdict, read: str) -> None:
    if verdict.basis is Basis.OWN_CONSENT:
        OWN_CONSENT_READS.labels(actor.organisation_id, read).inc()


def count_referral(referrer: str | None, target: str) -> None:
    if referrer is not None and referrer == target:
        SELF_REFERRALS.labels(referrer).inc()


def count_consent(actor: Actor, verdict: Verdict) -> None:
    if verdict.basis is Basis.REFERRER:
        CONSENTS_BY_REFERRERS.labels(actor.organisation_id).inc()
