"""Who may read a client's personal data, and the record of every read.

An organisation may read when it is involved with the client — it made or received one of
the client's referrals, or holds or has held one of the client's cases — or when the client
named it in an active data_sharing consent. Every attempt, granted or refused, is recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import UUID

import asyncpg

from contracts.envelope import Envelope
from contracts.events.base import Event
from contracts.events.referral import CaseOpened, ReferralMade, ResponsibilityTransferred
from contracts.registry import parse_data
from services.referral.domain.client import ClientState
from services.runtime.http import Principal

_INVOLVING = ("ReferralMade", "CaseOpened", "ResponsibilityTransferred")


class ReadPurpose(StrEnum):
    """Why personal data are read (recorded with the read)."""

    CLIENT_SERVICE = "client_service"
    REFERRAL_HANDLING = "referral_handling"
    CASE_MANAGEMENT = "case_management"
    DATA_SUBJECT_REQUEST = "data_subject_request"


@dataclass(frozen=True)
class AccessDecision:
    granted: bool
    basis: str  # why: "involved", "consent:<id>" or the refusal reason


def involved_organisations(events: Iterable[Event]) -> set[str]:
    """Organisations that referred, received a referral, or held a case of the client."""
    involved: set[str] = set()
    for event in events:
        match event:
            case ReferralMade():
                involved.add(event.target_organisation_id)
                if event.referring_organisation_id is not None:
                    involved.add(event.referring_organisation_id)
            case CaseOpened():
                involved.add(event.organisation_id)
            case ResponsibilityTransferred():
                involved.update((event.from_organisation_id, event.to_organisation_id))
    return involved


def decide_read(
    organisation_id: str, client: ClientState, involved: set[str], today: date
) -> AccessDecision:
    if organisation_id in involved:
        return AccessDecision(True, "involved")
    for consent in client.consents.values():
        if consent.shares_with(organisation_id, today):
            return AccessDecision(True, f"consent:{consent.consent_id}")
    return AccessDecision(
        False,
        "your organisation is not involved with this client (no referral or case) and is "
        "not named in an active data_sharing consent",
    )


async def client_events(pool: asyncpg.Pool, client_id: UUID) -> list[Event]:
    """The events of other streams (referrals, cases) that involve organisations."""
    rows = await pool.fetch(
        """SELECT envelope FROM events WHERE client_id = $1 AND event_type = ANY($2::text[])
           ORDER BY position""",
        client_id, list(_INVOLVING),
    )
    return [parse_data(Envelope.model_validate_json(row["envelope"])) for row in rows]


async def record_read(
    pool: asyncpg.Pool, client_id: UUID, principal: Principal, purpose: ReadPurpose,
    decision: AccessDecision,
) -> None:
    await pool.execute(
        """INSERT INTO personal_data_reads
               (client_id, reader_org, reader_sub, reader_role, purpose, granted, basis)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        client_id, principal.org, principal.sub, principal.role.value, purpose.value,
        decision.granted, decision.basis,
    )
