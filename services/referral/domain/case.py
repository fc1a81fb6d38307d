"""The case aggregate (`case:<case_id>`): the client relationship a team holds after it
accepted a referral; responsibility may move to another organisation until the case closes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from contracts.codes import ServiceKind
from contracts.commands.referral import CloseCase, TransferResponsibility
from contracts.events.base import Event
from contracts.events.referral import CaseClosed, CaseOpened, ResponsibilityTransferred
from services.decider import (
    Context,
    InvalidCommand,
    NotPermitted,
    StateConflict,
    UnknownAggregate,
)


class CaseStatus(StrEnum):
    NONE = "none"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class CaseState:
    status: CaseStatus = CaseStatus.NONE
    case_id: UUID | None = None
    client_id: UUID | None = None
    service: ServiceKind | None = None
    holder_organisation_id: str | None = None
    holder_worker_id: UUID | None = None
    # Every organisation that has held the case, in order: all of them stay involved.
    holders: tuple[str, ...] = ()


initial_state = CaseState()

CaseCommand = TransferResponsibility | CloseCase


def evolve(state: CaseState, event: Event) -> CaseState:
    match event:
        case CaseOpened():
            return CaseState(
                status=CaseStatus.OPEN, case_id=event.case_id, client_id=event.client_id,
                service=event.service, holder_organisation_id=event.organisation_id,
                holder_worker_id=event.responsible_worker_id, holders=(event.organisation_id,),
            )
        case ResponsibilityTransferred():
            return replace(state, holder_organisation_id=event.to_organisation_id,
                           holder_worker_id=event.to_worker_id,
                           holders=(*state.holders, event.to_organisation_id))
        case CaseClosed():
            return replace(state, status=CaseStatus.CLOSED)
    return state


def open_case(
    *, case_id: UUID, client_id: UUID, organisation_id: str, service: ServiceKind,
    referral_id: UUID | None, responsible_worker_id: UUID, ctx: Context,
    occurred_at: datetime | None = None,
) -> CaseOpened:
    """The event that starts a case (accepting a referral opens one)."""
    return CaseOpened(
        case_id=case_id, client_id=client_id, organisation_id=organisation_id, service=service,
        referral_id=referral_id, responsible_worker_id=responsible_worker_id,
        occurred_at=occurred_at or ctx.now,
    )


def decide(command: CaseCommand, state: CaseState, ctx: Context) -> list[Event]:
    """Checks run in the order existence (404), authorisation (403), state (409), input (422)."""
    _require_holder(state, ctx)
    if state.status is CaseStatus.CLOSED:
        raise StateConflict("the case is closed and takes no more commands")
    assert state.case_id and state.client_id and state.holder_organisation_id
    assert state.holder_worker_id
    match command:
        case TransferResponsibility():
            ctx.require_known_organisation("to_organisation_id", command.to_organisation_id)
            if (command.to_organisation_id == state.holder_organisation_id
                    and command.to_worker_id == state.holder_worker_id):
                raise InvalidCommand("to_worker_id", "already responsible for this case")
            return [ResponsibilityTransferred(
                case_id=state.case_id, client_id=state.client_id,
                from_organisation_id=state.holder_organisation_id,
                from_worker_id=state.holder_worker_id,
                to_organisation_id=command.to_organisation_id, to_worker_id=command.to_worker_id,
                occurred_at=command.occurred_at_or(ctx.now),
            )]
        case CloseCase():
            return [CaseClosed(case_id=state.case_id, client_id=state.client_id,
                               exit_destination=command.exit_destination,
                               occurred_at=command.occurred_at_or(ctx.now))]
    raise TypeError(f"not a case command: {type(command).__name__}")


def _require_holder(state: CaseState, ctx: Context) -> None:
    if state.status is CaseStatus.NONE:
        raise UnknownAggregate("no case with this case_id")
    if ctx.actor_org != state.holder_organisation_id:
        raise NotPermitted("only the organisation that holds the case may do this")
