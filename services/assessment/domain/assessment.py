"""The work ability assessment (työ- ja toimintakyvyn arviointi): started by an organisation,
then completed with a conclusion or cancelled — once."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from uuid import UUID

from contracts.commands.assessment import CancelAssessment, CompleteAssessment, StartAssessment
from contracts.events.assessment import AssessmentCancelled, AssessmentCompleted, AssessmentStarted
from contracts.events.base import Event
from services.assessment.domain.rules import business_time, case_of_client, distinct, named_case
from services.decider import Context, StateConflict


class Status(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Assessment:
    status: Status = Status.NOT_STARTED
    assessment_id: UUID | None = None
    client_id: UUID | None = None
    organisation_id: str | None = None


initial_state = Assessment()

AssessmentCommand = StartAssessment | CompleteAssessment | CancelAssessment


def evolve(state: Assessment, event: Event) -> Assessment:
    match event:
        case AssessmentStarted():
            return Assessment(Status.IN_PROGRESS, event.assessment_id, event.client_id,
                              event.organisation_id)
        case AssessmentCompleted():
            return replace(state, status=Status.COMPLETED)
        case AssessmentCancelled():
            return replace(state, status=Status.CANCELLED)
    return state


def decide(command: AssessmentCommand, state: Assessment, ctx: Context) -> list[Event]:
    """A start creates the stream `ctx.new_id` for the acting organisation, on the case
    `ctx.view("case")` when it names one."""
    match command:
        case StartAssessment():
            return [_start(command, state, ctx)]
        case CompleteAssessment():
            assessment_id, client_id = _in_progress(state, "complete")
            distinct("recommended_services", command.recommended_services)
            return [AssessmentCompleted(
                assessment_id=assessment_id, client_id=client_id,
                conclusion=command.conclusion,
                recommended_services=list(command.recommended_services),
                benefit_recommendation=command.benefit_recommendation,
                occurred_at=business_time(command, ctx.now),
            )]
        case CancelAssessment():
            assessment_id, client_id = _in_progress(state, "cancel")
            return [AssessmentCancelled(
                assessment_id=assessment_id, client_id=client_id, reason=command.reason,
                occurred_at=business_time(command, ctx.now),
            )]
    raise TypeError(f"not an assessment command: {type(command).__name__}")


def _start(command: StartAssessment, state: Assessment, ctx: Context) -> AssessmentStarted:
    if state.status is not Status.NOT_STARTED:
        raise StateConflict(f"assessment {state.assessment_id} has already been started")
    if command.case_id is not None:
        case_of_client(named_case(ctx, command.case_id), command.client_id)
    distinct("roles", command.roles)
    return AssessmentStarted(
        assessment_id=ctx.require_new_id(), client_id=command.client_id,
        case_id=command.case_id, organisation_id=ctx.actor_org, kind=command.kind,
        roles=list(command.roles), occurred_at=business_time(command, ctx.now),
    )


def _in_progress(state: Assessment, verb: str) -> tuple[UUID, UUID]:
    """The assessment and client of an assessment that may still be completed or cancelled."""
    if (state.status is Status.NOT_STARTED or state.assessment_id is None
            or state.client_id is None):
        raise StateConflict(f"cannot {verb} an assessment that has not been started")
    if state.status is not Status.IN_PROGRESS:
        raise StateConflict(
            f"the assessment is already {state.status.value}; it is completed or "
            "cancelled once"
        )
    return state.assessment_id, state.client_id
