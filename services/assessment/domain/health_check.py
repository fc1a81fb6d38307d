"""The unemployed person's health check (työttömän terveystarkastus), completed once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from contracts.commands.assessment import CompleteHealthCheck
from contracts.events.assessment import HealthCheckCompleted
from contracts.events.base import Event
from services.assessment.domain.errors import Conflict
from services.assessment.domain.rules import business_time


@dataclass(frozen=True)
class HealthCheck:
    completed: bool = False
    further_assessment_needed: bool | None = None


initial_state = HealthCheck()


def evolve(state: HealthCheck, event: Event) -> HealthCheck:
    if isinstance(event, HealthCheckCompleted):
        return HealthCheck(True, event.further_assessment_needed)
    return state


def decide(
    command: CompleteHealthCheck, state: HealthCheck, *, health_check_id: UUID,
    organisation_id: str, now: datetime,
) -> list[Event]:
    if state.completed:
        raise Conflict(f"health check {health_check_id} is already completed")
    return [HealthCheckCompleted(
        health_check_id=health_check_id, client_id=command.client_id,
        organisation_id=organisation_id,
        further_assessment_needed=command.further_assessment_needed,
        occurred_at=business_time(command, now),
    )]
