"""An assessment starts once and is then completed or cancelled — once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from functools import reduce

import pytest

from contracts.codes import (
    AssessmentCancelReason,
    AssessmentKind,
    BenefitRecommendation,
    Role,
    ServiceKind,
    WorkAbilityConclusion,
)
from contracts.commands.assessment import CancelAssessment, CompleteAssessment, StartAssessment
from contracts.events.assessment import (
    AssessmentCancelled,
    AssessmentCompleted,
    AssessmentStarted,
)
from contracts.events.base import Event
from services.assessment.domain import assessment
from services.assessment.domain.errors import Conflict, Rejected
from services.assessment.domain.rules import CaseView

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
ORG = "kymenlaakso-sote"
ASSESSMENT = uuid.uuid4()
CLIENT = uuid.uuid4()
CASE = uuid.uuid4()


def given(*events: Event) -> assessment.Assessment:
    return reduce(assessment.evolve, events, assessment.initial_state)


def when(command: object, state: assessment.Assessment, case: CaseView | None = None
         ) -> list[Event]:
    return assessment.decide(command, state, assessment_id=ASSESSMENT,  # type: ignore[arg-type]
                             organisation_id=ORG, now=NOW, case=case)


STARTED = AssessmentStarted(
    assessment_id=ASSESSMENT, client_id=CLIENT, case_id=CASE, organisation_id=ORG,
    kind=AssessmentKind.MULTIPROFESSIONAL, roles=[Role.DOCTOR], occurred_at=NOW,
)
COMPLETE = CompleteAssessment(
    conclusion=WorkAbilityConclusion.PARTIALLY_ABLE,
    recommended_services=[ServiceKind.JOB_COACHING],
    benefit_recommendation=BenefitRecommendation.NONE,
)
CANCEL = CancelAssessment(reason=AssessmentCancelReason.DUPLICATE)
COMPLETED = AssessmentCompleted(
    assessment_id=ASSESSMENT, client_id=CLIENT, conclusion=COMPLETE.conclusion,
    recommended_services=COMPLETE.recommended_services,
    benefit_recommendation=COMPLETE.benefit_recommendation, occurred_at=NOW,
)
CANCELLED = AssessmentCancelled(assessment_id=ASSESSMENT, client_id=CLIENT,
                                reason=AssessmentCancelReason.DUPLICATE, occurred_at=NOW)


def test_start_names_the_callers_organisation_and_the_case() -> None:
    command = StartAssessment(client_id=CLIENT, case_id=CASE, kind=AssessmentKind.PHYSIO_BROAD,
                              roles=[Role.PHYSIOTHERAPIST, Role.DOCTOR])
    events = when(command, given(), CaseView(CASE, CLIENT, closed=False))
    assert events == [AssessmentStarted(
        assessment_id=ASSESSMENT, client_id=CLIENT, case_id=CASE, organisation_id=ORG,
        kind=AssessmentKind.PHYSIO_BROAD, roles=[Role.PHYSIOTHERAPIST, Role.DOCTOR],
        occurred_at=NOW,
    )]


def test_start_without_a_case() -> None:
    [event] = when(StartAssessment(client_id=CLIENT, kind=AssessmentKind.HEALTH_CHECK), given())
    assert isinstance(event, AssessmentStarted) and event.case_id is None and event.roles == []


def test_start_on_another_clients_case_is_rejected() -> None:
    command = StartAssessment(client_id=CLIENT, case_id=CASE, kind=AssessmentKind.PSYCHOLOGIST)
    with pytest.raises(Rejected) as error:
        when(command, given(), CaseView(CASE, uuid.uuid4(), closed=False))
    assert error.value.field == "case_id"


def test_start_on_a_closed_case_conflicts() -> None:
    command = StartAssessment(client_id=CLIENT, case_id=CASE, kind=AssessmentKind.PSYCHOLOGIST)
    with pytest.raises(Conflict, match="closed"):
        when(command, given(), CaseView(CASE, CLIENT, closed=True))


def test_start_twice_conflicts() -> None:
    with pytest.raises(Conflict, match="already been started"):
        when(StartAssessment(client_id=CLIENT, kind=AssessmentKind.PSYCHOLOGIST), given(STARTED))


def test_roles_are_distinct() -> None:
    command = StartAssessment(client_id=CLIENT, kind=AssessmentKind.PSYCHOLOGIST,
                              roles=[Role.NURSE, Role.NURSE])
    with pytest.raises(Rejected) as error:
        when(command, given())
    assert error.value.field == "roles"


def test_occurred_at_is_business_time() -> None:
    earlier = NOW - timedelta(days=3)
    command = StartAssessment(client_id=CLIENT, kind=AssessmentKind.PSYCHOLOGIST,
                              occurred_at=earlier)
    [event] = when(command, given())
    assert event.occurred_at == earlier


def test_occurred_at_after_now_is_rejected() -> None:
    # NOW is in the past, so the command model accepts the time; the decider's clock refuses.
    command = StartAssessment(client_id=CLIENT, kind=AssessmentKind.PSYCHOLOGIST,
                              occurred_at=NOW + timedelta(seconds=1))
    with pytest.raises(Rejected) as error:
        when(command, given())
    assert error.value.field == "occurred_at"


def test_complete_a_started_assessment() -> None:
    assert when(COMPLETE, given(STARTED)) == [COMPLETED]


def test_cancel_a_started_assessment() -> None:
    assert when(CANCEL, given(STARTED)) == [CANCELLED]


@pytest.mark.parametrize("history", [(STARTED, COMPLETED), (STARTED, CANCELLED)],
                         ids=["completed", "cancelled"])
@pytest.mark.parametrize("command", [COMPLETE, CANCEL], ids=["complete", "cancel"])
def test_an_assessment_is_completed_or_cancelled_once(
    history: tuple[Event, ...], command: object
) -> None:
    with pytest.raises(Conflict, match="once"):
        when(command, given(*history))


@pytest.mark.parametrize("command", [COMPLETE, CANCEL], ids=["complete", "cancel"])
def test_nothing_to_decide_before_the_start(command: object) -> None:
    with pytest.raises(Conflict, match="not been started"):
        when(command, given())


def test_recommended_services_are_distinct() -> None:
    command = COMPLETE.model_copy(
        update={"recommended_services": [ServiceKind.EDUCATION, ServiceKind.EDUCATION]})
    with pytest.raises(Rejected):
        when(command, given(STARTED))


def test_evolve_follows_the_life_cycle() -> None:
    assert given().status is assessment.Status.NOT_STARTED
    assert given(STARTED).status is assessment.Status.IN_PROGRESS
    assert given(STARTED).client_id == CLIENT
    assert given(STARTED, COMPLETED).status is assessment.Status.COMPLETED
    assert given(STARTED, CANCELLED).status is assessment.Status.CANCELLED
