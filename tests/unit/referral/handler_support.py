"""The referral service on the in-memory store for its handler tests: the context wired as
app.py wires it (with in-memory side records), given events dated today (the access policy
judges rights on today's date) and a check that a refused command appended nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import cast
from uuid import UUID

from contracts.codes import ReferralReason, ReferringOrgKind, RegionCode, ServiceKind, Sex
from contracts.commands.referral import RegisterClient
from contracts.events.referral import (
    CaseOpened,
    ClientRegistered,
    ReferralAccepted,
    ReferralMade,
)
from services.referral import app
from services.referral.handlers import vault_of
from services.referral.personal_data import PersonalDataVault
from services.referral.records import InMemoryRecords
from services.runtime.eventstore_memory import InMemoryEventStore
from services.runtime.service import ServiceContext
from tests.support.handlers import given, memory_context, meta
from tests.unit.referral.builders import EMPLOYMENT, SOTE

# Business time of the given events and of the commands: now, as the policy judges on today.
NOW = datetime.now(UTC)
WORKER = uuid.uuid4()


def referral_context() -> ServiceContext:
    """The referral service's context on the in-memory store, wired by app.wire."""
    ctx = memory_context("referral")
    app.wire(ctx, InMemoryRecords(cast(InMemoryEventStore, ctx.store)))
    return ctx


def records(ctx: ServiceContext) -> InMemoryRecords:
    found = ctx.extras["personal_data_records"]
    assert isinstance(found, InMemoryRecords)
    return found


def vault(ctx: ServiceContext) -> PersonalDataVault:
    return vault_of(ctx)


def register(code: str) -> RegisterClient:
    return RegisterClient(identity_code=code, first_name="Testi", last_name="Asiakas",
                          home_region=RegionCode.KYMENLAAKSO, occurred_at=NOW)


async def registered(ctx: ServiceContext, by: str = SOTE) -> UUID:
    """A client `by` registered today (events only: no personal data stored)."""
    client_id = uuid.uuid4()
    await given(ctx, ClientRegistered(client_id=client_id, birth_year=1984, sex=Sex.MALE,
                                      home_region=RegionCode.KYMENLAAKSO, occurred_at=NOW),
                by=meta(by))
    return client_id


def made(client_id: UUID, referral_id: UUID, by: str | None = SOTE,
         to: str = EMPLOYMENT) -> ReferralMade:
    kind = ReferringOrgKind.CLIENT_SELF if by is None else ReferringOrgKind.WELLBEING_SERVICES
    return ReferralMade(
        referral_id=referral_id, client_id=client_id, referring_organisation_id=by,
        referring_org_kind=kind, target_organisation_id=to,
        target_service=ServiceKind.JOB_COACHING, reasons=[ReferralReason.LONG_TERM_UNEMPLOYMENT],
        triage=None, unemployment_months=None, occurred_at=NOW)


async def referred(ctx: ServiceContext, client_id: UUID, by: str | None = SOTE,
                   to: str = EMPLOYMENT) -> UUID:
    """A waiting referral of the client from `by` (None: a self-referral) to `to`."""
    referral_id = uuid.uuid4()
    await given(ctx, made(client_id, referral_id, by, to), by=meta(by or to))
    return referral_id


async def case_held(ctx: ServiceContext, holder: str = EMPLOYMENT) -> tuple[UUID, UUID]:
    """(client_id, case_id): a client SOTE registered and referred to `holder`, who
    accepted; the case is open and `holder` holds it (WORKER responsible)."""
    client_id = await registered(ctx)
    referral_id = await referred(ctx, client_id, to=holder)
    case_id = uuid.uuid4()
    await given(ctx, ReferralAccepted(referral_id=referral_id, client_id=client_id,
                                      case_id=case_id, occurred_at=NOW),
                CaseOpened(case_id=case_id, client_id=client_id, organisation_id=holder,
                           service=ServiceKind.JOB_COACHING, referral_id=referral_id,
                           responsible_worker_id=WORKER, occurred_at=NOW),
                by=meta(holder))
    return client_id, case_id
