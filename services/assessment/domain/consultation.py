"""A consultation (konsultaatio): one organisation's professional asks another organisation's
expert, about a client or in general. Recorded once, with who asked whom."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from contracts.commands.assessment import GiveConsultation
from contracts.events.assessment import ConsultationGiven
from contracts.events.base import Event
from services.assessment.domain.rules import business_time
from services.decider import Context, InvalidCommand, NotPermitted, StateConflict


@dataclass(frozen=True)
class Consultation:
    given: bool = False
    consultation_id: UUID | None = None


initial_state = Consultation()


def evolve(state: Consultation, event: Event) -> Consultation:
    if isinstance(event, ConsultationGiven):
        return Consultation(given=True, consultation_id=event.consultation_id)
    return state


def decide(command: GiveConsultation, state: Consultation, ctx: Context) -> list[Event]:
    """The requester is the actor (their organisation, its kind in the registry, their
    role); the consultant's organisation must be in the registry too."""
    if ctx.actor_org not in ctx.organisations:
        raise NotPermitted(f"organisation {ctx.actor_org} is not in the organisation registry")
    if state.given:
        raise StateConflict(f"consultation {state.consultation_id} is already recorded")
    if command.consultant_organisation_id not in ctx.organisations:
        raise InvalidCommand("consultant_organisation_id", "not in the organisation registry")
    return [ConsultationGiven(
        consultation_id=ctx.require_new_id(), client_id=command.client_id,
        requesting_organisation_id=ctx.actor_org,
        requesting_org_kind=ctx.organisations.kind_of(ctx.actor_org),
        requester_role=ctx.actor_role,
        consultant_organisation_id=command.consultant_organisation_id,
        consultant_role=command.consultant_role, topic=command.topic,
        occurred_at=business_time(command, ctx.now),
    )]
