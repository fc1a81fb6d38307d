"""The coaching engagement: started once (by hand or from a job-coaching case), worked on with
a vocational profile and employer contacts, ended once; an ended engagement takes no commands."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from contracts.codes import EmployerContactPurpose, ExitDestination
from contracts.events.base import Event
from contracts.events.coaching import (
    CoachingEnded,
    CoachingStarted,
    EmployerContacted,
    VocationalProfileCompleted,
)
from services.decider import Context, StateConflict


@dataclass(frozen=True)
class Engagement:
    engagement_id: UUID | None = None
    client_id: UUID | None = None
    organisation_id: str | None = None
    coach_id: UUID | None = None
    case_id: UUID | None = None
    profile_completed: bool = False
    employer_contacts: int = 0
    ended: bool = False

    @property
    def started(self) -> bool:
        return self.engagement_id is not None


initial_state = Engagement()


@dataclass(frozen=True)
class StartCoaching:
    """Start the engagement whose id is the context's `new_id` (for a case, the id derived
    from the case). Its organisation is the case's when started from one, else the caller's."""

    client_id: UUID
    organisation_id: str
    coach_id: UUID
    case_id: UUID | None
    occurred_at: datetime


@dataclass(frozen=True)
class CompleteVocationalProfile:
    occurred_at: datetime


@dataclass(frozen=True)
class ContactEmployer:
    employer_id: str
    purpose: EmployerContactPurpose
    occurred_at: datetime


@dataclass(frozen=True)
class EndCoaching:
    outcome: ExitDestination
    occurred_at: datetime


Command = StartCoaching | CompleteVocationalProfile | ContactEmployer | EndCoaching


def decide(command: Command, state: Engagement, ctx: Context) -> list[Event]:
    if isinstance(command, StartCoaching):
        if state.started:
            raise StateConflict(f"engagement {state.engagement_id} has already started")
        return [CoachingStarted(
            engagement_id=ctx.require_new_id(), client_id=command.client_id,
            organisation_id=command.organisation_id, coach_id=command.coach_id,
            case_id=command.case_id, occurred_at=command.occurred_at,
        )]
    engagement_id, client_id = _open(state)
    match command:
        case CompleteVocationalProfile():
            return [VocationalProfileCompleted(
                engagement_id=engagement_id, client_id=client_id,
                occurred_at=command.occurred_at,
            )]
        case ContactEmployer():
            return [EmployerContacted(
                engagement_id=engagement_id, client_id=client_id,
                employer_id=command.employer_id, purpose=command.purpose,
                occurred_at=command.occurred_at,
            )]
        case EndCoaching():
            return [CoachingEnded(
                engagement_id=engagement_id, client_id=client_id, outcome=command.outcome,
                occurred_at=command.occurred_at,
            )]
    raise TypeError(f"not an engagement command: {command!r}")


def _open(state: Engagement) -> tuple[UUID, UUID]:
    """The ids of a started engagement that still takes commands."""
    if state.engagement_id is None or state.client_id is None:
        raise StateConflict("the engagement has not started")
    if state.ended:
        raise StateConflict(
            f"engagement {state.engagement_id} has ended and takes no more commands"
        )
    return state.engagement_id, state.client_id


def evolve(state: Engagement, event: Event) -> Engagement:
    match event:
        case CoachingStarted():
            return Engagement(
                engagement_id=event.engagement_id, client_id=event.client_id,
                organisation_id=event.organisation_id, coach_id=event.coach_id,
                case_id=event.case_id,
            )
        case VocationalProfileCompleted():
            return replace(state, profile_completed=True)
        case EmployerContacted():
            return replace(state, employer_contacts=state.employer_contacts + 1)
        case CoachingEnded():
            return replace(state, ended=True)
    return state
