"""An assessment starts once and is then completed or cancelled — once."""

from __future__ import annotations

import uuid
from datetime import timedelta

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
from services.assessment.domain.rules import CaseView
from services.decider import Context, InvalidCommand, StateConflict
from tests.support.decider import NOW, context, scenario

ORG = "kymenlaakso-sote"
ASSESSMENT = uuid.uuid4()
CLIENT = uuid.uuid4()
CASE = uuid.uuid4()
OPEN_CASE = CaseView(CASE, CLIENT, closed=False)


def ctx(case: CaseView | None = None) -> Context:
    """The team's nurse; a start creates ASSESSMENT."""
    return context(ORG, Role.NURSE, new_id=ASSESSMENT, case=case)


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
an_assessment = scenario(assessment)


def test_start_names_the_callers_organisation_and_the_case() -> None:
    command = StartAssessment(client_id=CLIENT, case_id=CASE, kind=AssessmentKind.PHYSIO_BROAD,
                              roles=[Role.PHYSIOTHERAPIST, Role.DOCTOR])
    an_assessment.when(command, ctx(OPEN_CASE)).then(AssessmentStarted(
        assessment_id=ASSESSMENT, client_id=CLIENT, case_id=CASE, organisation_id=ORG,
        kind=AssessmentKind.PHYSIO_BROAD, roles=[Role.PHYSIOTHERAPIST, Role.DOCTOR],
        occurred_at=NOW,
    ))


def test_start_without_a_case() -> None:
    command = StartAssessment(client_id=CLIENT, kind=AssessmentKind.HEALTH_CHECK)
    [event] = an_assessment.when(command, ctx()).decided
    assert isinstance(event, AssessmentStarted) and event.case_id is None and event.roles == []


def test_start_on_another_clients_case_is_rejected() -> None:
    command = StartAssessment(client_id=CLIENT, case_id=CASE, kind=AssessmentKind.PSYCHOLOGIST)
    error = an_assessment.when(command, ctx(CaseView(CASE, uuid.uuid4(), closed=False))
                               ).raises(InvalidCommand)
    assert isinstance(error, InvalidCommand) and error.field == "case_id"


def test_start_on_a_closed_case_conflicts() -> None:
    command = StartAssessment(client_id=CLIENT, case_id=CASE, kind=AssessmentKind.PSYCHOLOGIST)
    an_assessment.when(command, ctx(CaseView(CASE, CLIENT, closed=True))).raises(
        StateConflict, "closed")


def test_start_twice_conflicts() -> None:
    command = StartAssessment(client_id=CLIENT, kind=AssessmentKind.PSYCHOLOGIST)
    an_assessment.given(STARTED).when(command, ctx()).raises(
        StateConflict, "already been started")


def test_roles_are_distinct() -> None:
    command = StartAssessment(client_id=CLIENT, kind=AssessmentKind.PSYCHOLOGIST,
                              roles=[Role.NURSE, Role.NURSE])
    error = an_assessment.when(command, ctx()).raises(InvalidCommand)
    assert isinstance(error, InvalidCommand) and error.field == "roles"


def test_occurred_at_is_business_time() -> None:
    earlier = NOW - timedelta(days=3)
    command = StartAssessment(client_id=CLIENT, kind=AssessmentKind.PSYCHOLOGIST,
                              occurred_at=earlier)
    [event] = an_assessment.when(command, ctx()).decided
    assert event.occurred_at == earlier


def test_occurred_at_after_now_is_rejected() -> None:
    # NOW is in the past, so the command model accepts the time; the decider's clock refuses.
    command = StartAssessment(client_id=CLIENT, kind=AssessmentKind.PSYCHOLOGIST,
                              occurred_at=NOW + timedelta(seconds=1))
    error = an_assessment.when(command, ctx()).raises(InvalidCommand)
    assert isinstance(error, InvalidCommand) and error.field == "occurred_at"


def test_complete_a_started_assessment() -> None:
    an_assessment.given(STARTED).when(COMPLETE, ctx()).then(COMPLETED)


def test_cancel_a_started_assessment() -> None:
    an_assessment.given(STARTED).when(CANCEL, ctx()).then(CANCELLED)


@pytest.mark.parametrize("history", [(STARTED, COMPLETED), (STARTED, CANCELLED)],
                         ids=["completed", "cancelled"])
@pytest.mark.parametrize("command", [COMPLETE, CANCEL], ids=["complete", "cancel"])
def test_an_assessment_is_completed_or_cancelled_once(
    history: tuple[Event, ...], command: object
) -> None:
    an_assessment.given(*history).when(command, ctx()).raises(StateConflict, "once")


@pytest.mark.parametrize("command", [COMPLETE, CANCEL], ids=["complete", "cancel"])
def test_nothing_to_decide_before_the_start(command: object) -> None:
    an_assessment.when(command, ctx()).raises(StateConflict, "not been started")


def test_recommended_services_are_distinct() -> None:
    command = COMPLETE.model_copy(
        update={"recommended_services": [ServiceKind.EDUCATION, ServiceKind.EDUCATION]})
    an_assessment.given(STARTED).when(command, ctx()).raises(InvalidCommand)


def test_evolve_follows_the_life_cycle() -> None:
    assert an_assessment.state.status is assessment.Status.NOT_STARTED
    assert an_assessment.given(STARTED).state.status is assessment.Status.IN_PROGRESS
    assert an_assessment.given(STARTED).state.client_id == CLIENT
    assert an_assessment.given(STARTED, COMPLETED).state.status is assessment.Status.COMPLETED
    assert an_assessment.given(STARTED, CANCELLED).state.status is assessment.Status.CANCELLED
