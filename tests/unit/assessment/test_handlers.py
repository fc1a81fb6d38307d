"""The assessment service's assessment and health-check handlers on the in-memory stores,
with no server: given the referral events the service consumed (its access store) and the
events in its store, when a handler runs a command, then the events it appended — or the
typed error, with nothing appended. Measurements, plans and consultations: the files beside."""

from __future__ import annotations

import uuid

import pytest

from contracts.codes import (
    AssessmentCancelReason,
    AssessmentKind,
    BenefitRecommendation,
    Role,
    ServiceKind,
    WorkAbilityConclusion,
)
from contracts.commands.assessment import (
    CancelAssessment,
    CompleteAssessment,
    CompleteHealthCheck,
    StartAssessment,
)
from contracts.events.assessment import (
    AssessmentCancelled,
    AssessmentCompleted,
    AssessmentStarted,
    HealthCheckCompleted,
)
from services.assessment import handlers
from services.decider import InvalidCommand, NotPermitted, StateConflict, UnknownAggregate
from services.runtime.service import ServiceContext
from tests.support.access_facts import (
    AT,
    EMPLOYMENT,
    KELA,
    OUTSIDER,
    SOTE,
    Referred,
    case_closed,
    client_in_case,
)
from tests.support.handlers import appended, consumed, given, memory_context, meta, refuses


@pytest.fixture
def ctx() -> ServiceContext:
    return memory_context("assessment")


def start(case: Referred, *, with_case: bool = True) -> StartAssessment:
    return StartAssessment(client_id=case.client_id,
                           case_id=case.case_id if with_case else None,
                           kind=AssessmentKind.MULTIPROFESSIONAL,
                           roles=[Role.PHYSIOTHERAPIST, Role.DOCTOR], occurred_at=AT)


def started(case: Referred, assessment_id: uuid.UUID, *, by: str = EMPLOYMENT,
            with_case: bool = True) -> AssessmentStarted:
    return AssessmentStarted(
        assessment_id=assessment_id, client_id=case.client_id,
        case_id=case.case_id if with_case else None, organisation_id=by,
        kind=AssessmentKind.MULTIPROFESSIONAL, roles=[Role.PHYSIOTHERAPIST, Role.DOCTOR],
        occurred_at=AT)


COMPLETE = CompleteAssessment(
    conclusion=WorkAbilityConclusion.PARTIALLY_ABLE,
    recommended_services=[ServiceKind.JOB_COACHING],
    benefit_recommendation=BenefitRecommendation.NONE, occurred_at=AT)


async def assessment_started(ctx: ServiceContext, case: Referred) -> uuid.UUID:
    """An assessment the case holder started (in the store)."""
    assessment_id = uuid.uuid4()
    await given(ctx, started(case, assessment_id), by=meta(case.holder))
    return assessment_id


# Starting an assessment ------------------------------------------------------------------


async def test_the_case_holder_starts_an_assessment_on_the_case(ctx: ServiceContext) -> None:
    case = await client_in_case(ctx)

    outcome = await handlers.start_assessment(ctx, meta(EMPLOYMENT), start(case))

    assert outcome.created
    assessment_id = uuid.UUID(outcome.answer["assessment_id"])
    assert await appended(ctx) == [started(case, assessment_id)]
    assert outcome.stream_versions == {f"assessment:{assessment_id}": 1}


async def test_the_referrer_starts_one_without_a_case(ctx: ServiceContext) -> None:
    case = await client_in_case(ctx)

    outcome = await handlers.start_assessment(ctx, meta(SOTE), start(case, with_case=False))

    assessment_id = uuid.UUID(outcome.answer["assessment_id"])
    assert await appended(ctx) == [started(case, assessment_id, by=SOTE, with_case=False)]


async def test_an_uninvolved_organisation_may_not_start_one(ctx: ServiceContext) -> None:
    case = await client_in_case(ctx)

    await refuses(ctx, NotPermitted, handlers.start_assessment(ctx, meta(OUTSIDER), start(case)),
                  containing=f"organisation {OUTSIDER} may not record data about the client")


async def test_a_role_that_does_not_act_on_clients_may_not(ctx: ServiceContext) -> None:
    case = await client_in_case(ctx)

    await refuses(ctx, NotPermitted,
                  handlers.start_assessment(ctx, meta(EMPLOYMENT, Role.ANALYST), start(case)),
                  containing="analyst")


async def test_a_client_the_service_has_not_heard_of_is_unknown(ctx: ServiceContext) -> None:
    command = StartAssessment(client_id=uuid.uuid4(), kind=AssessmentKind.PHYSIO_BROAD)

    await refuses(ctx, UnknownAggregate, handlers.start_assessment(ctx, meta(EMPLOYMENT), command),
                  containing="is not known to this service")


async def test_a_case_the_service_has_not_heard_of_is_unknown(ctx: ServiceContext) -> None:
    case = await client_in_case(ctx)
    command = start(case).model_copy(update={"case_id": uuid.uuid4()})

    await refuses(ctx, UnknownAggregate, handlers.start_assessment(ctx, meta(EMPLOYMENT), command))


async def test_another_clients_case_is_refused(ctx: ServiceContext) -> None:
    case, other = await client_in_case(ctx), await client_in_case(ctx)
    command = start(case).model_copy(update={"case_id": other.case_id})

    error = await refuses(ctx, InvalidCommand,
                          handlers.start_assessment(ctx, meta(EMPLOYMENT), command))
    assert isinstance(error, InvalidCommand) and error.field == "case_id"


async def test_a_closed_case_takes_no_assessment(ctx: ServiceContext) -> None:
    case = await client_in_case(ctx)
    await consumed(ctx, case_closed(case.client_id, case.case_id), by=EMPLOYMENT)

    await refuses(ctx, StateConflict, handlers.start_assessment(ctx, meta(EMPLOYMENT), start(case)),
                  containing="closed")


# Completing and cancelling ---------------------------------------------------------------


async def test_completing_an_assessment(ctx: ServiceContext) -> None:
    case = await client_in_case(ctx)
    assessment_id = await assessment_started(ctx, case)

    outcome = await handlers.decide_assessment(ctx, meta(EMPLOYMENT), assessment_id, COMPLETE)

    assert not outcome.created
    assert await appended(ctx, after=1) == [AssessmentCompleted(
        assessment_id=assessment_id, client_id=case.client_id,
        conclusion=WorkAbilityConclusion.PARTIALLY_ABLE,
        recommended_services=[ServiceKind.JOB_COACHING],
        benefit_recommendation=BenefitRecommendation.NONE, occurred_at=AT)]
    assert outcome.stream_versions == {f"assessment:{assessment_id}": 2}


async def test_a_second_completion_conflicts(ctx: ServiceContext) -> None:
    case = await client_in_case(ctx)
    assessment_id = await assessment_started(ctx, case)
    await handlers.decide_assessment(ctx, meta(EMPLOYMENT), assessment_id, COMPLETE)

    await refuses(ctx, StateConflict,
                  handlers.decide_assessment(ctx, meta(EMPLOYMENT), assessment_id, COMPLETE),
                  containing="already completed")


async def test_cancelling_an_assessment_then_completing_it(ctx: ServiceContext) -> None:
    case = await client_in_case(ctx)
    assessment_id = await assessment_started(ctx, case)
    cancel = CancelAssessment(reason=AssessmentCancelReason.CLIENT_DECLINED, occurred_at=AT)

    await handlers.decide_assessment(ctx, meta(EMPLOYMENT), assessment_id, cancel)

    assert await appended(ctx, after=1) == [AssessmentCancelled(
        assessment_id=assessment_id, client_id=case.client_id,
        reason=AssessmentCancelReason.CLIENT_DECLINED, occurred_at=AT)]
    await refuses(ctx, StateConflict,
                  handlers.decide_assessment(ctx, meta(EMPLOYMENT), assessment_id, COMPLETE),
                  containing="already cancelled")


async def test_an_assessment_that_was_never_started_is_unknown(ctx: ServiceContext) -> None:
    await refuses(ctx, UnknownAggregate,
                  handlers.decide_assessment(ctx, meta(EMPLOYMENT), uuid.uuid4(), COMPLETE))


async def test_an_uninvolved_organisation_may_not_complete_it(ctx: ServiceContext) -> None:
    case = await client_in_case(ctx)
    assessment_id = await assessment_started(ctx, case)

    await refuses(ctx, NotPermitted,
                  handlers.decide_assessment(ctx, meta(OUTSIDER), assessment_id, COMPLETE))


# Health checks ---------------------------------------------------------------------------


async def test_completing_a_health_check(ctx: ServiceContext) -> None:
    case = await client_in_case(ctx)
    command = CompleteHealthCheck(client_id=case.client_id, further_assessment_needed=True,
                                  occurred_at=AT)

    outcome = await handlers.complete_health_check(ctx, meta(EMPLOYMENT), command)

    assert outcome.created
    assert await appended(ctx) == [HealthCheckCompleted(
        health_check_id=uuid.UUID(outcome.answer["health_check_id"]),
        client_id=case.client_id, organisation_id=EMPLOYMENT, further_assessment_needed=True,
        occurred_at=AT)]


async def test_a_health_check_of_a_client_of_others_is_refused(ctx: ServiceContext) -> None:
    case = await client_in_case(ctx)
    command = CompleteHealthCheck(client_id=case.client_id, further_assessment_needed=False,
                                  occurred_at=AT)

    await refuses(ctx, NotPermitted, handlers.complete_health_check(ctx, meta(KELA), command))
