"""What assessment and coaching know of a client before a command, for their handler tests:
referral events (a client registered, a referral made and accepted, its case opened, a
consent) consumed into the service's in-memory access store with the organisation that
recorded each, as polku.referral.v1 would deliver them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from contracts.codes import (
    ConsentScope,
    ExitDestination,
    ReferralReason,
    ReferringOrgKind,
    RegionCode,
    ServiceKind,
    Sex,
)
from contracts.events.referral import (
    CaseClosed,
    CaseOpened,
    ClientRegistered,
    ConsentGiven,
    ConsentWithdrawn,
    ReferralAccepted,
    ReferralMade,
)
from services.runtime.service import ServiceContext
from tests.support.handlers import consumed

SOTE, EMPLOYMENT, KELA, NGO = ("kymenlaakso-sote", "kymenlaakso-employment",
                               "kymenlaakso-kela", "kymenlaakso-ngo")
OUTSIDER = "pirkanmaa-sote"  # in the registry, never involved with the clients here
EMPLOYER = "kymenlaakso-employer-1"

# Business time of the referral events, and of the commands a little later: fixed dates in
# the past, so that the policy's windows and "not in the future" judge the same every day.
REFERRED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AT = REFERRED_AT + timedelta(days=8)
DAY = AT.date()


@dataclass(frozen=True)
class Referred:
    """A client referred by `referrer` to `holder`, accepted, its case open at `holder`."""

    client_id: UUID
    referral_id: UUID
    case_id: UUID
    referrer: str
    holder: str
    worker_id: UUID


def registered(client_id: UUID) -> ClientRegistered:
    return ClientRegistered(client_id=client_id, birth_year=1984, sex=Sex.FEMALE,
                            home_region=RegionCode.KYMENLAAKSO, occurred_at=REFERRED_AT)


def made(client_id: UUID, referral_id: UUID, by: str, to: str,
         service: ServiceKind) -> ReferralMade:
    return ReferralMade(
        referral_id=referral_id, client_id=client_id, referring_organisation_id=by,
        referring_org_kind=ReferringOrgKind.WELLBEING_SERVICES, target_organisation_id=to,
        target_service=service, reasons=[ReferralReason.LONG_TERM_UNEMPLOYMENT],
        triage=None, unemployment_months=None, occurred_at=REFERRED_AT)


def case_opened(client_id: UUID, case_id: UUID, by: str, service: ServiceKind, *,
                referral_id: UUID | None = None, worker_id: UUID | None = None) -> CaseOpened:
    return CaseOpened(case_id=case_id, client_id=client_id, organisation_id=by,
                      service=service, referral_id=referral_id,
                      responsible_worker_id=worker_id or uuid.uuid4(), occurred_at=REFERRED_AT)


def case_closed(client_id: UUID, case_id: UUID) -> CaseClosed:
    return CaseClosed(case_id=case_id, client_id=client_id,
                      exit_destination=ExitDestination.EMPLOYMENT, occurred_at=REFERRED_AT)


async def client_registered(ctx: ServiceContext, by: str = SOTE) -> UUID:
    """A client `by` registered, and nothing else."""
    client_id = uuid.uuid4()
    await consumed(ctx, registered(client_id), by=by)
    return client_id


async def client_in_case(
    ctx: ServiceContext, *, referrer: str = SOTE, holder: str = EMPLOYMENT,
    service: ServiceKind = ServiceKind.WORK_ABILITY_ASSESSMENT,
) -> Referred:
    """A client the referrer registered and referred to the holder, who accepted: the case
    is open. The referrer's events and the holder's arrive as each recorded them."""
    client_id, referral_id, case_id, worker_id = (uuid.uuid4() for _ in range(4))
    await consumed(ctx, registered(client_id), made(client_id, referral_id, referrer, holder,
                                                    service), by=referrer)
    await consumed(ctx, ReferralAccepted(referral_id=referral_id, client_id=client_id,
                                         case_id=case_id, occurred_at=REFERRED_AT),
                   case_opened(client_id, case_id, holder, service, referral_id=referral_id,
                               worker_id=worker_id), by=holder)
    return Referred(client_id, referral_id, case_id, referrer, holder, worker_id)


async def consent_given(ctx: ServiceContext, client_id: UUID, naming: str, *,
                        by: str = SOTE, valid_until: date | None = None) -> UUID:
    """A data-sharing consent of the client, recorded by `by`, naming `naming`."""
    consent_id = uuid.uuid4()
    await consumed(ctx, ConsentGiven(
        client_id=client_id, consent_id=consent_id, scope=ConsentScope.DATA_SHARING,
        organisation_ids=[naming], valid_until=valid_until, occurred_at=REFERRED_AT), by=by)
    return consent_id


async def consent_withdrawn(ctx: ServiceContext, client_id: UUID, consent_id: UUID, *,
                            by: str = SOTE, on: datetime = REFERRED_AT) -> None:
    await consumed(ctx, ConsentWithdrawn(client_id=client_id, consent_id=consent_id,
                                         occurred_at=on), by=by)
