"""The placement: a client at an employer (job, work trial, apprenticeship, …), supported
along the way and ended exactly once; optionally part of an engagement that is still open."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from contracts.codes import FollowAlongMode, PlacementEndReason, PlacementKind
from contracts.events.base import Event
from contracts.events.coaching import FollowAlongSupportGiven, PlacementEnded, PlacementStarted
from services.coaching.domain.engagement import Engagement
from services.decider import Context, InvalidCommand, StateConflict


@dataclass(frozen=True)
class Placement:
    placement_id: UUID | None = None
    client_id: UUID | None = None
    engagement_id: UUID | None = None
    employer_id: str | None = None
    follow_along_contacts: int = 0
    ended: bool = False

    @property
    def started(self) -> bool:
        return self.placement_id is not None


initial_state = Placement()


@dataclass(frozen=True)
class StartPlacement:
    """Start the placement whose id is the context's `new_id`; the engagement it belongs
    to, as loaded, is the context's view `engagement` (none: a placement without one)."""

    client_id: UUID
    employer_id: str
    kind: PlacementKind
    hours_per_week: float | None
    wage_subsidy: bool
    occurred_at: datetime


@dataclass(frozen=True)
class GiveFollowAlongSupport:
    mode: FollowAlongMode
    occurred_at: datetime


@dataclass(frozen=True)
class EndPlacement:
    reason: PlacementEndReason
    occurred_at: datetime


Command = StartPlacement | GiveFollowAlongSupport | EndPlacement


def decide(command: Command, state: Placement, ctx: Context) -> list[Event]:
    if isinstance(command, StartPlacement):
        return _start(command, state, ctx)
    placement_id, client_id = _open(state)
    match command:
        case GiveFollowAlongSupport():
            return [FollowAlongSupportGiven(
                placement_id=placement_id, client_id=client_id, mode=command.mode,
                occurred_at=command.occurred_at,
            )]
        case EndPlacement():
            return [PlacementEnded(
                placement_id=placement_id, client_id=client_id, reason=command.reason,
                occurred_at=command.occurred_at,
            )]
    raise TypeError(f"not a placement command: {command!r}")


def _start(command: StartPlacement, state: Placement, ctx: Context) -> list[Event]:
    if state.started:
        raise StateConflict(f"placement {state.placement_id} has already started")
    engagement: Engagement | None = ctx.view("engagement")
    if engagement is not None:
        if not engagement.started:
            raise StateConflict("the engagement has not started")
        if engagement.client_id != command.client_id:
            raise InvalidCommand(
                "engagement_id", "the engagement belongs to another client than client_id"
            )
        if engagement.ended:
            raise StateConflict(
                f"engagement {engagement.engagement_id} has ended and takes no more placements"
            )
    return [PlacementStarted(
        placement_id=ctx.require_new_id(),
        engagement_id=engagement.engagement_id if engagement is not None else None,
        client_id=command.client_id, employer_id=command.employer_id, kind=command.kind,
        hours_per_week=command.hours_per_week, wage_subsidy=command.wage_subsidy,
        occurred_at=command.occurred_at,
    )]


def _open(state: Placement) -> tuple[UUID, UUID]:
    if state.placement_id is None or state.client_id is None:
        raise StateConflict("the placement has not started")
    if state.ended:
        raise StateConflict(f"placement {state.placement_id} has ended; a placement ends once")
    return state.placement_id, state.client_id


def evolve(state: Placement, event: Event) -> Placement:
    match event:
        case PlacementStarted():
            return Placement(
                placement_id=event.placement_id, client_id=event.client_id,
                engagement_id=event.engagement_id, employer_id=event.employer_id,
            )
        case FollowAlongSupportGiven():
            return replace(state, follow_along_contacts=state.follow_along_contacts + 1)
        case PlacementEnded():
            return replace(state, ended=True)
    return state
