"""The unemployed person's health check (työttömän terveystarkastus), completed once."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from contracts.commands.assessment import CompleteHealthCheck
from contracts.events.assessment import HealthCheckCompleted
from contracts.events.base import Event
from services.assessment.domain.rules import business_time
from services.decider import Context, StateConflict


@dataclass(frozen=True)
class HealthCheck:
    completed: bool = False
    further_assessment_needed: bool | None = None
    health_check_id: UUID | None = None


initial_state = HealthCheck()


def evolve(state: HealthCheck, event: Event) -> HealthCheck:
    if isinstance(event, HealthCheckCompleted):
        return HealthCheck(True, event.further_assessment_needed, event.health_check_id)
    return state


def decide(command: CompleteHealthCheck, state: HealthCheck, ctx: Context) -> list[Event]:
    """Completing creates the stream `ctx.new_id`, by the acting organisation."""
    if state.completed:
        raise StateConflict(f"health check {state.health_check_id} is already completed")
    return [HealthCheckCompleted(
        health_check_id=ctx.require_new_id(), client_id=command.client_id,
        organisation_id=ctx.actor_org,
        further_assessment_needed=command.further_assessment_needed,
        occurred_at=business_time(command, ctx.now),
    )]
