"""The feedback aggregate (`feedback:<feedback_id>`): one client's "would you recommend"
score for a service, anonymous or about a known client."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from contracts.commands.referral import GiveFeedback
from contracts.events.base import Event
from contracts.events.referral import ClientFeedbackGiven
from services.decider import Context, StateConflict, UnknownAggregate
from services.referral.domain import client as client_domain


@dataclass(frozen=True)
class FeedbackState:
    feedback_id: UUID | None = None


initial_state = FeedbackState()


def evolve(state: FeedbackState, event: Event) -> FeedbackState:
    if isinstance(event, ClientFeedbackGiven):
        return FeedbackState(feedback_id=event.feedback_id)
    return state


def decide(command: GiveFeedback, state: FeedbackState, ctx: Context) -> list[Event]:
    if state.feedback_id is not None:
        raise StateConflict("this feedback has already been given")
    if command.client_id is not None:
        client = client_domain.require_registered(ctx.view("client") or client_domain.initial_state)
        if client.client_id != command.client_id:
            raise UnknownAggregate("no client with this client_id")
    ctx.require_known_organisation("organisation_id", command.organisation_id)
    return [ClientFeedbackGiven(
        feedback_id=ctx.require_new_id(), client_id=command.client_id,
        organisation_id=command.organisation_id, service=command.service, score=command.score,
        felt_heard=command.felt_heard, helped=command.helped,
        occurred_at=command.occurred_at_or(ctx.now),
    )]
