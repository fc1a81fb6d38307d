"""Access control for services downstream of referral (assessment, coaching).

They learn from `polku.referral.v1` which organisations are involved with which client
(case holders, referring organisations of accepted referrals) and which data-sharing
consents are active, and refuse commands about a client from anyone else (403, with why).
Effects are applied through the consumer kit, so redelivery changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

import asyncpg

from contracts.events.referral import (
    CaseClosed,
    CaseOpened,
    ClientRegistered,
    ConsentGiven,
    ConsentWithdrawn,
    PersonalDataErased,
    ReferralAccepted,
    ReferralMade,
    ResponsibilityTransferred,
)
from contracts.topics import REFERRAL_TOPIC
from services.runtime.consumer import ConsumedEvent, ConsumerSpec
from services.runtime.errors import NotAuthorised, NotFound

MIGRATIONS = "services.runtime.access"

ACCESS_EVENT_TYPES = frozenset({
    "ClientRegistered", "ConsentGiven", "ConsentWithdrawn", "PersonalDataErased",
    "ReferralMade", "ReferralAccepted", "CaseOpened", "ResponsibilityTransferred", "CaseClosed",
})


async def apply_access_event(conn: asyncpg.Connection, event: ConsumedEvent) -> None:
    """Fold one referral event into the access tables (idempotent by construction too)."""
    data = event.data
    match data:
        case ClientRegistered():
            await conn.execute(
                """INSERT INTO access_clients (client_id, home_region) VALUES ($1, $2)
                   ON CONFLICT (client_id) DO UPDATE SET home_region = excluded.home_region""",
                data.client_id, data.home_region.value,
            )
        case PersonalDataErased():
            await conn.execute(
                "UPDATE access_clients SET erased = true WHERE client_id = $1", data.client_id
            )
        case ConsentGiven():
            await conn.execute(
                """INSERT INTO access_consents
                       (consent_id, client_id, scope, organisation_ids, valid_until)
                   VALUES ($1, $2, $3, $4, $5) ON CONFLICT (consent_id) DO NOTHING""",
                data.consent_id, data.client_id, data.scope.value, list(data.organisation_ids),
                data.valid_until,
            )
        case ConsentWithdrawn():
            await conn.execute(
                "UPDATE access_consents SET withdrawn = true WHERE consent_id = $1",
                data.consent_id,
            )
        case ReferralMade():
            await conn.execute(
                """INSERT INTO access_referrals (referral_id, client_id, referring_organisation_id)
                   VALUES ($1, $2, $3) ON CONFLICT (referral_id) DO NOTHING""",
                data.referral_id, data.client_id, data.referring_organisation_id,
            )
        case ReferralAccepted():
            await conn.execute(
                """INSERT INTO access_involvement (client_id, organisation_id)
                   SELECT client_id, referring_organisation_id FROM access_referrals
                   WHERE referral_id = $1 AND referring_organisation_id IS NOT NULL
                   ON CONFLICT DO NOTHING""",
                data.referral_id,
            )
        case CaseOpened():
            await conn.execute(
                """INSERT INTO access_cases (case_id, client_id, opened_by, holder, service,
                                            responsible_worker_id, referral_id)
                   VALUES ($1, $2, $3, $3, $4, $5, $6) ON CONFLICT (case_id) DO NOTHING""",
                data.case_id, data.client_id, data.organisation_id, data.service.value,
                data.responsible_worker_id, data.referral_id,
            )
            await _involve(conn, data.client_id, data.organisation_id)
        case ResponsibilityTransferred():
            await conn.execute(
                """UPDATE access_cases SET holder = $2, responsible_worker_id = $3
                   WHERE case_id = $1""",
                data.case_id, data.to_organisation_id, data.to_worker_id,
            )
            await _involve(conn, data.client_id, data.to_organisation_id)
        case CaseClosed():
            await conn.execute("UPDATE access_cases SET closed = true WHERE case_id = $1",
                               data.case_id)
        case _:
            return


async def _involve(conn: asyncpg.Connection, client_id: UUID, organisation_id: str) -> None:
    await conn.execute(
        """INSERT INTO access_involvement (client_id, organisation_id) VALUES ($1, $2)
           ON CONFLICT DO NOTHING""",
        client_id, organisation_id,
    )


async def handle_access_events(conn: asyncpg.Connection, events: list[ConsumedEvent]) -> None:
    for event in events:
        await apply_access_event(conn, event)


def access_consumer(
    name: str, extra_types: frozenset[str] = frozenset(), handler=None  # type: ignore[no-untyped-def]
) -> ConsumerSpec:
    """The consumer of polku.referral.v1 that keeps the access tables (and, with `handler`,
    whatever else the service derives from referral events, in the same transaction)."""

    async def handle(conn: asyncpg.Connection, events: list[ConsumedEvent]) -> None:
        await handle_access_events(conn, events)
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


async def require_client_access(
    conn: asyncpg.Connection | asyncpg.Pool, client_id: UUID, organisation_id: str,
    *, today: date | None = None,
) -> None:
    """404 for a client this service has not heard of; 403 (with why) for an organisation
    that is neither involved nor named in an active data-sharing consent."""
    today = today or date.today()
    row = await conn.fetchrow(
        """SELECT c.erased,
                  EXISTS (SELECT 1 FROM access_involvement i
                          WHERE i.client_id = c.client_id AND i.organisation_id = $2) AS involved,
                  EXISTS (SELECT 1 FROM access_consents k
                          WHERE k.client_id = c.client_id AND k.scope = 'data_sharing'
                            AND NOT k.withdrawn AND $2 = ANY (k.organisation_ids)
                            AND (k.valid_until IS NULL OR k.valid_until >= $3)) AS consented
           FROM access_clients c WHERE c.client_id = $1""",
        client_id, organisation_id, today,
    )
    if row is None:
        raise NotFound(
            f"client {client_id} is not known to this service (yet): register the client "
            "in the referral service; its events arrive here within seconds"
        )
    if not (row["involved"] or row["consented"]):
        raise NotAuthorised(
            f"organisation {organisation_id} is neither involved with client {client_id} "
            "(no case or accepted referral) nor named in an active data-sharing consent"
        )


async def find_case(conn: asyncpg.Connection | asyncpg.Pool, case_id: UUID) -> CaseInfo | None:
    row = await conn.fetchrow(
        """SELECT case_id, client_id, holder, service, responsible_worker_id, closed
           FROM access_cases WHERE case_id = $1""",
        case_id,
    )
    return CaseInfo(**dict(row)) if row else None
