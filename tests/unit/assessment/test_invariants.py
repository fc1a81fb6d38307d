"""What holds for any sequence of commands on each assessment-service aggregate: whatever
`decide` returns, `evolve` takes; refusals are typed domain errors; each stream records its
start once and a decision (completion, cancellation, measurement, consultation) at most once."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta
from types import ModuleType
from typing import Any

from hypothesis import given as for_all
from hypothesis import strategies as st

from contracts.codes import (
    AssessmentCancelReason,
    AssessmentKind,
    BenefitRecommendation,
    ConsultationTopic,
    LabourMarketStatus,
    MeasurementPhase,
    Role,
    ServiceKind,
    WorkAbilityConclusion,
)
from contracts.commands.assessment import (
    AgreeSupportPlan,
    CancelAssessment,
    CompleteAssessment,
    CompleteHealthCheck,
    GiveConsultation,
    RecordLabourMarketStatus,
    RecordWorkAbilityScore,
    ReviseSupportPlan,
    StartAssessment,
)
from services.assessment.domain import assessment, consultation, health_check, measurement, plan
from services.assessment.domain.measurement import RecordMeasurement
from services.assessment.domain.rules import CaseView
from services.decider import Context
from tests.support.decider import NOW, context, invariants

CLIENT, CASE = uuid.uuid4(), uuid.uuid4()
OPEN_CASE = CaseView(CASE, CLIENT, closed=False)
LATER = NOW.date() + timedelta(days=30)


def on_the_case() -> Context:
    return context(case=OPEN_CASE)


def kinds(events: list[Any]) -> Counter[str]:
    return Counter(type(e).__name__ for e in events)


ASSESSMENT_COMMANDS = [
    StartAssessment(client_id=CLIENT, kind=AssessmentKind.PSYCHOLOGIST),
    StartAssessment(client_id=CLIENT, case_id=CASE, kind=AssessmentKind.MULTIPROFESSIONAL,
                    roles=[Role.DOCTOR, Role.DOCTOR]),
    StartAssessment(client_id=CLIENT, kind=AssessmentKind.PSYCHOLOGIST,
                    occurred_at=NOW + timedelta(hours=1)),
    CompleteAssessment(conclusion=WorkAbilityConclusion.ABLE_TO_WORK,
                       benefit_recommendation=BenefitRecommendation.NONE),
    CompleteAssessment(conclusion=WorkAbilityConclusion.PARTIALLY_ABLE,
                       recommended_services=[ServiceKind.EDUCATION, ServiceKind.EDUCATION],
                       benefit_recommendation=BenefitRecommendation.NONE),
    CancelAssessment(reason=AssessmentCancelReason.DUPLICATE),
]


@for_all(st.lists(st.sampled_from(ASSESSMENT_COMMANDS), max_size=8))
def test_an_assessment_starts_once_and_is_decided_at_most_once(commands: list[Any]) -> None:
    state, events = invariants(assessment, commands, on_the_case)
    counted = kinds(events)
    assert counted["AssessmentStarted"] <= 1
    assert counted["AssessmentCompleted"] + counted["AssessmentCancelled"] <= 1
    if events:
        assert type(events[0]).__name__ == "AssessmentStarted"
    assert (state.status is assessment.Status.NOT_STARTED) == (not events)


PLAN_COMMANDS = [
    AgreeSupportPlan(client_id=CLIENT, case_id=CASE, planned_services=[ServiceKind.EDUCATION],
                     review_on=LATER),
    AgreeSupportPlan.model_construct(client_id=CLIENT, case_id=CASE, planned_services=[],
                                     review_on=LATER, occurred_at=None),
    ReviseSupportPlan(planned_services=[ServiceKind.JOB_COACHING], review_on=LATER),
    ReviseSupportPlan.model_construct(planned_services=[ServiceKind.JOB_COACHING],
                                      review_on=NOW.date() - timedelta(days=1),
                                      occurred_at=None),
]


@for_all(st.lists(st.sampled_from(PLAN_COMMANDS), max_size=8))
def test_a_plan_is_agreed_once_then_every_revision_counts(commands: list[Any]) -> None:
    state, events = invariants(plan, commands, on_the_case)
    counted = kinds(events)
    assert counted["SupportPlanAgreed"] == int(state.agreed) <= 1
    assert state.revisions == counted["SupportPlanRevised"]
    if events:
        assert type(events[0]).__name__ == "SupportPlanAgreed"


ONCE: list[tuple[ModuleType, list[Any]]] = [
    (measurement, [RecordMeasurement(CLIENT, RecordWorkAbilityScore(
        score=5, phase=MeasurementPhase.BASELINE)), RecordMeasurement(
        CLIENT, RecordLabourMarketStatus(status=LabourMarketStatus.UNEMPLOYED,
                                         phase=MeasurementPhase.END))]),
    (health_check, [CompleteHealthCheck(client_id=CLIENT, further_assessment_needed=False)]),
    (consultation, [GiveConsultation(consultant_organisation_id="kymenlaakso-kela",
                                     consultant_role=Role.KELA_EXPERT,
                                     topic=ConsultationTopic.OTHER),
                    GiveConsultation(consultant_organisation_id="atlantis-sote",
                                     consultant_role=Role.DOCTOR,
                                     topic=ConsultationTopic.OTHER)]),
]


@for_all(st.sampled_from(ONCE).flatmap(
    lambda pair: st.tuples(st.just(pair[0]), st.lists(st.sampled_from(pair[1]), max_size=5))))
def test_a_measurement_health_check_or_consultation_is_recorded_at_most_once(
    case: tuple[Any, list[Any]],
) -> None:
    decider, commands = case
    _, events = invariants(decider, commands)
    assert len(events) <= 1
