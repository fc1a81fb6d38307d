"""The work ability assessment (työ- ja toimintakyvyn arviointi): started by an organisation,
then completed with a conclusion or cancelled — once."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from contracts.commands.assessment import CancelAssessment, CompleteAssessment, StartAssessment
from contracts.events.assessment import AssessmentCancelled, AssessmentCompleted, AssessmentStarted
from contracts.events.base import Event
from services.assessment.domain.errors import Conflict
from services.assessment.domain.rules import CaseView, business_time, case_of_client, distinct


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


def decide(
    command: AssessmentCommand, state: Assessment, *, assessment_id: UUID,
    organisation_id: str, now: datetime, case: CaseView | None = None,
) -> list[Event]:
    """`assessment_id` names the stream; `case` is the case the start command names."""
    match command:
        case StartAssessment():
            return [_start(command, state, assessment_id, organisation_id, now, case)]
        case CompleteAssessment():
            client_id = _in_progress(state, "complete")
            distinct("recommended_services", command.recommended_services)
            return [AssessmentCompleted(
                assessment_id=assessment_id, client_id=client_id,
                conclusion=command.conclusion,
                recommended_services=list(command.recommended_services),
                benefit_recommendation=command.benefit_recommendation,
                occurred_at=business_time(command, now),
            )]
        case CancelAssessment():
            client_id = _in_progress(state, "cancel")
            return [AssessmentCancelled(
                assessment_id=assessment_id, client_id=client_id, reason=command.reason,
                occurred_at=business_time(command, now),
            )]
    raise TypeError(f"not an assessment command: {type(command).__name__}")


def _start(
    command: StartAssessment, state: Assessment, assessment_id: UUID, organisation_id: str,
    now: datetime, case: CaseView | None,
) -> AssessmentStarted:
    if state.status is not Status.NOT_STARTED:
        raise Conflict(f"assessment {assessment_id} has already been started")
    if command.case_id is not None:
        if case is None or case.case_id != command.case_id:
            raise ValueError("the handler must look up the case the command names")
        case_of_client(case, command.client_id)
    distinct("roles", command.roles)
    return AssessmentStarted(
        assessment_id=assessment_id, client_id=command.client_id, case_id=command.case_id,
        organisation_id=organisation_id, kind=command.kind, roles=list(command.roles),
        occurred_at=business_time(command, now),
    )


def _in_progress(state: Assessment, verb: str) -> UUID:
    """The client of an assessment that may still be completed or cancelled."""
    if state.status is Status.NOT_STARTED or state.client_id is None:
        raise Conflict(f"cannot {verb} an assessment that has not been started")
    if state.status is not Status.IN_PROGRESS:
        raise Conflict(
            f"the assessment is already {state.status.value}; it is completed or "
            "cancelled once"
        )
    return state.client_id
