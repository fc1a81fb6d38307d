"""Coaching's consumer of polku.referral.v1 on the in-memory stores, with no broker: a
CaseOpened for job coaching starts the case's engagement through the command bus, exactly
once however often it is delivered, on behalf of whoever opened the case; other cases only
reach the access store."""

from __future__ import annotations

import uuid

import pytest

from contracts.codes import ServiceKind
from contracts.commands.coaching import StartCoaching
from contracts.envelope import Envelope
from contracts.events.coaching import CoachingStarted
from services.coaching import handlers
from services.coaching.handlers import engagement_id_for_case
from services.coaching.subscribers import referral_consumer
from services.runtime.access import find_case, require_access_store
from services.runtime.intake import ConsumedEvent
from services.runtime.service import ServiceContext
from tests.support.access_facts import (
    AT,
    NGO,
    REFERRED_AT,
    SOTE,
    case_opened,
    made,
    registered,
)
from tests.support.handlers import (
    ConsumerConnection,
    appended,
    consumed_events,
    memory_context,
    meta,
    position,
)

CLIENT, CASE, REFERRAL, WORKER = (uuid.uuid4() for _ in range(4))


@pytest.fixture
def ctx() -> ServiceContext:
    return memory_context("coaching")


def referred_and_opened(service: ServiceKind) -> list[ConsumedEvent]:
    """The batch the consumer takes in: SOTE's registration and referral, the NGO's case."""
    return [*consumed_events(registered(CLIENT), made(CLIENT, REFERRAL, SOTE, NGO, service),
                             by=SOTE),
            *consumed_events(case_opened(CLIENT, CASE, NGO, service, referral_id=REFERRAL,
                                         worker_id=WORKER), by=NGO)]


async def consume(ctx: ServiceContext, batch: list[ConsumedEvent]) -> None:
    """The consumer's handler, as its transaction runs it."""
    await referral_consumer(ctx).handler(ConsumerConnection(), batch)


async def test_a_job_coaching_case_starts_its_engagement(ctx: ServiceContext) -> None:
    batch = referred_and_opened(ServiceKind.JOB_COACHING)

    await consume(ctx, batch)

    assert await appended(ctx) == [CoachingStarted(
        engagement_id=engagement_id_for_case(CASE), client_id=CLIENT, organisation_id=NGO,
        coach_id=WORKER, case_id=CASE, occurred_at=REFERRED_AT)]
    [stored] = await ctx.store.read_from_position(1, 10)
    envelope = Envelope.model_validate_json(stored.envelope)
    case_event = batch[-1].envelope
    assert (envelope.causationid, envelope.actororg) == (str(case_event.id), NGO)


async def test_a_redelivered_case_starts_nothing_new(ctx: ServiceContext) -> None:
    batch = referred_and_opened(ServiceKind.JOB_COACHING)
    await consume(ctx, batch)
    before = await position(ctx)

    await consume(ctx, batch)

    assert before == 1
    assert await appended(ctx, before) == []


async def test_a_professional_first_leaves_the_case_event_nothing_to_do(
    ctx: ServiceContext,
) -> None:
    batch = referred_and_opened(ServiceKind.JOB_COACHING)
    await require_access_store(ctx.access).record(batch)  # the case is known, no engagement
    first = await handlers.start_coaching(ctx, meta(NGO), StartCoaching(
        client_id=CLIENT, coach_id=WORKER, case_id=CASE, occurred_at=AT))

    await consume(ctx, batch)

    assert first.answer == {"engagement_id": str(engagement_id_for_case(CASE))}
    assert await position(ctx) == 1


async def test_another_service_s_case_starts_no_engagement(ctx: ServiceContext) -> None:
    await consume(ctx, referred_and_opened(ServiceKind.WORK_ABILITY_ASSESSMENT))

    assert await appended(ctx) == []
    case = await find_case(ctx.access, CASE)
    assert case is not None and (case.client_id, case.holder) == (CLIENT, NGO)
