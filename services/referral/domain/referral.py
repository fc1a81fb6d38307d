"""The referral aggregate (`referral:<referral_id>`): made once, decided once.

A referral is accepted or declined by its target organisation, or withdrawn by the
organisation that made it; accepting it opens a case in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from uuid import UUID

from contracts.codes import DeclineReason, ReferringOrgKind, ServiceKind
from contracts.commands.referral import (
    AcceptReferral,
    DeclineReferral,
    MakeReferral,
    WithdrawReferral,
)
from contracts.events.base import Event
from contracts.events.referral import (
    ReferralAccepted,
    ReferralDeclined,
    ReferralMade,
    ReferralWithdrawn,
)
from contracts.organisations import UnknownOrganisation
from services.decider import (
    Context,
    InvalidCommand,
    NotPermitted,
    StateConflict,
    UnknownAggregate,
)
from services.referral.domain import case as case_domain
from services.referral.domain import client as client_domain


class ReferralStatus(StrEnum):
    NONE = "none"
    MADE = "made"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class ReferralState:
    status: ReferralStatus = ReferralStatus.NONE
    referral_id: UUID | None = None
    client_id: UUID | None = None
    referring_organisation_id: str | None = None
    target_organisation_id: str | None = None
    target_service: ServiceKind | None = None
    case_id: UUID | None = None


initial_state = ReferralState()

ReferralCommand = MakeReferral | AcceptReferral | DeclineReferral | WithdrawReferral


def evolve(state: ReferralState, event: Event) -> ReferralState:
    match event:
        case ReferralMade():
            return ReferralState(
                status=ReferralStatus.MADE, referral_id=event.referral_id,
                client_id=event.client_id,
                referring_organisation_id=event.referring_organisation_id,
                target_organisation_id=event.target_organisation_id,
                target_service=event.target_service,
            )
        case ReferralAccepted():
            return replace(state, status=ReferralStatus.ACCEPTED, case_id=event.case_id)
        case ReferralDeclined():
            return replace(state, status=ReferralStatus.DECLINED)
        case ReferralWithdrawn():
            return replace(state, status=ReferralStatus.WITHDRAWN)
    return state


def decide(command: ReferralCommand, state: ReferralState, ctx: Context) -> list[Event]:
    """Checks run in the order existence (404), authorisation (403), state (409), input (422)."""
    match command:
        case MakeReferral():
            return _make(command, state, ctx)
        case AcceptReferral():
            return _accept(command, _decidable(state, ctx, by_target=True), ctx)
        case DeclineReferral():
            return _decline(command, _decidable(state, ctx, by_target=True), ctx)
        case WithdrawReferral():
            return _withdraw(command, _decidable(state, ctx, by_target=False), ctx)
    raise TypeError(f"not a referral command: {type(command).__name__}")


def _make(command: MakeReferral, state: ReferralState, ctx: Context) -> list[Event]:
    if state.status is not ReferralStatus.NONE:
        raise StateConflict("this referral has already been made")
    client = client_domain.require_active(ctx.view("client") or client_domain.initial_state)
    if client.client_id != command.client_id:
        raise UnknownAggregate("no client with this client_id")
    ctx.require_known_organisation("target_organisation_id", command.target_organisation_id)
    referring_organisation_id: str | None = ctx.actor_org
    if command.referring_org_kind is ReferringOrgKind.CLIENT_SELF:
        referring_organisation_id, kind = None, ReferringOrgKind.CLIENT_SELF
    else:
        try:
            kind = ReferringOrgKind(ctx.organisations.kind_of(ctx.actor_org).value)
        except UnknownOrganisation:
            raise NotPermitted("your organisation is not in the organisation registry; "
                               "only registered organisations make referrals") from None
        if command.referring_org_kind not in (None, kind):
            raise InvalidCommand("referring_org_kind",
                                 "omit it (your organisation's kind is used) or give "
                                 "client_self for a client's self-referral")
    return [ReferralMade(
        referral_id=ctx.require_new_id(), client_id=command.client_id,
        referring_organisation_id=referring_organisation_id, referring_org_kind=kind,
        target_organisation_id=command.target_organisation_id,
        target_service=command.target_service, reasons=list(dict.fromkeys(command.reasons)),
        triage=command.triage, unemployment_months=command.unemployment_months,
        occurred_at=command.occurred_at_or(ctx.now),
    )]


def _decidable(state: ReferralState, ctx: Context, *, by_target: bool) -> ReferralState:
    if state.status is ReferralStatus.NONE:
        raise UnknownAggregate("no referral with this referral_id")
    if by_target and ctx.actor_org != state.target_organisation_id:
        raise NotPermitted("only the referral's target organisation may accept or decline it")
    if not by_target and ctx.actor_org != _withdrawing_organisation(state):
        raise NotPermitted("only the organisation that made the referral may withdraw it")
    if state.status is not ReferralStatus.MADE:
        raise StateConflict(f"the referral has already been decided ({state.status.value}); "
                            "a referral is decided once")
    return state


def _withdrawing_organisation(state: ReferralState) -> str | None:
    # A self-referral has no referring organisation: the client withdraws it through the
    # organisation that received it.
    return state.referring_organisation_id or state.target_organisation_id


def _accept(command: AcceptReferral, state: ReferralState, ctx: Context) -> list[Event]:
    assert state.referral_id and state.client_id and state.target_organisation_id
    assert state.target_service
    case_id = ctx.require_new_id()
    occurred_at = command.occurred_at_or(ctx.now)
    return [
        ReferralAccepted(referral_id=state.referral_id, client_id=state.client_id,
                         case_id=case_id, occurred_at=occurred_at),
        case_domain.open_case(
            case_id=case_id, client_id=state.client_id,
            organisation_id=state.target_organisation_id, service=state.target_service,
            referral_id=state.referral_id, responsible_worker_id=command.responsible_worker_id,
            ctx=ctx, occurred_at=occurred_at,
        ),
    ]


def _decline(command: DeclineReferral, state: ReferralState, ctx: Context) -> list[Event]:
    assert state.referral_id and state.client_id
    if command.reason is DeclineReason.REDIRECTED and command.redirected_service is None:
        raise InvalidCommand("redirected_service",
                             "name the service the client was redirected to")
    return [ReferralDeclined(
        referral_id=state.referral_id, client_id=state.client_id, reason=command.reason,
        redirected_service=command.redirected_service,
        occurred_at=command.occurred_at_or(ctx.now),
    )]


def _withdraw(command: WithdrawReferral, state: ReferralState, ctx: Context) -> list[Event]:
    assert state.referral_id and state.client_id
    return [ReferralWithdrawn(referral_id=state.referral_id, client_id=state.client_id,
                              occurred_at=command.occurred_at_or(ctx.now))]
