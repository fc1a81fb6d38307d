"""The assessment service's support-plan and consultation handlers on the in-memory stores,
with no server: given the referral events consumed and the events in the store, when a
handler runs a command, then the events appended — or the typed error, nothing appended."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from contracts.codes import ConsultationTopic, OrganisationKind, Role, ServiceKind
from contracts.commands.assessment import AgreeSupportPlan, GiveConsultation, ReviseSupportPlan
from contracts.events.assessment import ConsultationGiven, SupportPlanAgreed, SupportPlanRevised
from services.assessment import handlers
from services.decider import InvalidCommand, NotPermitted, UnknownAggregate
from services.runtime.service import ServiceContext
from tests.support.access_facts import (
    AT,
    DAY,
    EMPLOYMENT,
    KELA,
    OUTSIDER,
    SOTE,
    Referred,
    client_in_case,
    client_registered,
)
from tests.support.handlers import appended, given, memory_context, meta, refuses


@pytest.fixture
def ctx() -> ServiceContext:
    return memory_context("assessment")


# Support plans ---------------------------------------------------------------------------


def agree(case: Referred) -> AgreeSupportPlan:
    return AgreeSupportPlan(client_id=case.client_id, case_id=case.case_id,
                            planned_services=[ServiceKind.JOB_COACHING],
                            review_on=DAY + timedelta(days=90), occurred_at=AT)


def agreed(case: Referred, plan_id: uuid.UUID) -> SupportPlanAgreed:
    return SupportPlanAgreed(plan_id=plan_id, client_id=case.client_id, case_id=case.case_id,
                             planned_services=[ServiceKind.JOB_COACHING],
                             review_on=DAY + timedelta(days=90), occurred_at=AT)


async def test_agreeing_a_support_plan_on_the_case(ctx: ServiceContext) -> None:
    case = await client_in_case(ctx)

    outcome = await handlers.agree_support_plan(ctx, meta(EMPLOYMENT), agree(case))

    assert outcome.created
    assert await appended(ctx) == [agreed(case, uuid.UUID(outcome.answer["plan_id"]))]


async def test_a_plan_on_a_case_the_service_has_not_heard_of(ctx: ServiceContext) -> None:
    case = await client_in_case(ctx)
    command = agree(case).model_copy(update={"case_id": uuid.uuid4()})

    await refuses(ctx, UnknownAggregate,
                  handlers.agree_support_plan(ctx, meta(EMPLOYMENT), command),
                  containing="is not known to this service")


async def test_a_review_date_before_the_plan_is_refused(ctx: ServiceContext) -> None:
    case = await client_in_case(ctx)
    command = agree(case).model_copy(update={"review_on": DAY - timedelta(days=1)})

    error = await refuses(ctx, InvalidCommand,
                          handlers.agree_support_plan(ctx, meta(EMPLOYMENT), command))
    assert isinstance(error, InvalidCommand) and error.field == "review_on"


async def test_revising_an_agreed_plan(ctx: ServiceContext) -> None:
    case = await client_in_case(ctx)
    plan_id = uuid.uuid4()
    await given(ctx, agreed(case, plan_id), by=meta(EMPLOYMENT))
    revise = ReviseSupportPlan(planned_services=[ServiceKind.EDUCATION, ServiceKind.JOB_COACHING],
                               review_on=DAY + timedelta(days=30), occurred_at=AT)

    outcome = await handlers.revise_support_plan(ctx, meta(SOTE), plan_id, revise)

    assert outcome.answer == {"plan_id": str(plan_id)}
    assert await appended(ctx, after=1) == [SupportPlanRevised(
        plan_id=plan_id, client_id=case.client_id,
        planned_services=[ServiceKind.EDUCATION, ServiceKind.JOB_COACHING],
        review_on=DAY + timedelta(days=30), occurred_at=AT)]


async def test_revising_a_plan_never_agreed_is_unknown(ctx: ServiceContext) -> None:
    revise = ReviseSupportPlan(planned_services=[ServiceKind.EDUCATION], review_on=DAY,
                               occurred_at=AT)

    await refuses(ctx, UnknownAggregate,
                  handlers.revise_support_plan(ctx, meta(EMPLOYMENT), uuid.uuid4(), revise))


# Consultations ---------------------------------------------------------------------------


def consultation(client_id: uuid.UUID | None) -> GiveConsultation:
    return GiveConsultation(client_id=client_id, consultant_organisation_id=KELA,
                            consultant_role=Role.KELA_EXPERT,
                            topic=ConsultationTopic.BENEFITS, occurred_at=AT)


async def test_a_consultation_about_a_client(ctx: ServiceContext) -> None:
    case = await client_in_case(ctx)

    outcome = await handlers.give_consultation(ctx, meta(EMPLOYMENT, Role.DOCTOR),
                                               consultation(case.client_id))

    assert await appended(ctx) == [ConsultationGiven(
        consultation_id=uuid.UUID(outcome.answer["consultation_id"]), client_id=case.client_id,
        requesting_organisation_id=EMPLOYMENT,
        requesting_org_kind=OrganisationKind.EMPLOYMENT_SERVICES, requester_role=Role.DOCTOR,
        consultant_organisation_id=KELA, consultant_role=Role.KELA_EXPERT,
        topic=ConsultationTopic.BENEFITS, occurred_at=AT)]


async def test_a_consultation_without_a_client_needs_no_relation(ctx: ServiceContext) -> None:
    outcome = await handlers.give_consultation(ctx, meta(OUTSIDER), consultation(None))

    [given_] = await appended(ctx)
    assert isinstance(given_, ConsultationGiven)
    assert given_.consultation_id == uuid.UUID(outcome.answer["consultation_id"])
    assert (given_.client_id, given_.requesting_organisation_id) == (None, OUTSIDER)


async def test_a_consultation_about_a_client_of_others_is_refused(ctx: ServiceContext) -> None:
    client_id = await client_registered(ctx, by=SOTE)

    await refuses(ctx, NotPermitted,
                  handlers.give_consultation(ctx, meta(OUTSIDER), consultation(client_id)))


async def test_an_organisation_outside_the_registry_consults_nobody(ctx: ServiceContext) -> None:
    await refuses(ctx, NotPermitted,
                  handlers.give_consultation(ctx, meta("nowhere-org"), consultation(None)),
                  containing="not in the organisation registry")
