"""The coaching service's placement and fidelity-review handlers on the in-memory stores,
with no server: given the referral events consumed and the events in the store, when a
handler runs a command, then the events appended — or the typed error, nothing appended."""

from __future__ import annotations

import uuid

import pytest

from contracts.codes import (
    ExitDestination,
    FollowAlongMode,
    PlacementEndReason,
    PlacementKind,
    ServiceKind,
)
from contracts.commands.coaching import (
    EndPlacement,
    GiveFollowAlongSupport,
    RecordFidelityReview,
    StartPlacement,
)
from contracts.events.base import Event
from contracts.events.coaching import (
    FIDELITY_ITEMS,
    CoachingEnded,
    CoachingStarted,
    FidelityReviewRecorded,
    FollowAlongSupportGiven,
    PlacementEnded,
    PlacementStarted,
)
from services.coaching import handlers
from services.decider import InvalidCommand, NotPermitted, StateConflict, UnknownAggregate
from services.runtime.service import ServiceContext
from tests.support.access_facts import AT, EMPLOYER, KELA, NGO, OUTSIDER, Referred, client_in_case
from tests.support.handlers import appended, given, memory_context, meta, refuses


@pytest.fixture
def ctx() -> ServiceContext:
    return memory_context("coaching")


async def coaching_case(ctx: ServiceContext) -> Referred:
    return await client_in_case(ctx, holder=NGO, service=ServiceKind.JOB_COACHING)


async def engagement_of(ctx: ServiceContext, case: Referred, *, ended: bool = False) -> uuid.UUID:
    """An engagement of the case's client (in the store), ended or not."""
    engagement_id = uuid.uuid4()
    events: list[Event] = [CoachingStarted(engagement_id=engagement_id, client_id=case.client_id,
                              organisation_id=NGO, coach_id=case.worker_id, case_id=None,
                              occurred_at=AT)]
    if ended:
        events.append(CoachingEnded(engagement_id=engagement_id, client_id=case.client_id,
                                    outcome=ExitDestination.EDUCATION, occurred_at=AT))
    await given(ctx, *events, by=meta(NGO))
    return engagement_id


def start(case: Referred, engagement_id: uuid.UUID | None = None,
          employer_id: str = EMPLOYER) -> StartPlacement:
    return StartPlacement(client_id=case.client_id, engagement_id=engagement_id,
                          employer_id=employer_id, kind=PlacementKind.WORK_TRIAL,
                          hours_per_week=20.0, wage_subsidy=True, occurred_at=AT)


def placement_started(case: Referred, placement_id: uuid.UUID,
                      engagement_id: uuid.UUID | None) -> PlacementStarted:
    return PlacementStarted(placement_id=placement_id, engagement_id=engagement_id,
                            client_id=case.client_id, employer_id=EMPLOYER,
                            kind=PlacementKind.WORK_TRIAL, hours_per_week=20.0,
                            wage_subsidy=True, occurred_at=AT)


async def placement_of(ctx: ServiceContext, case: Referred) -> uuid.UUID:
    placement_id = uuid.uuid4()
    await given(ctx, placement_started(case, placement_id, None), by=meta(NGO))
    return placement_id


# Starting a placement --------------------------------------------------------------------


async def test_starting_a_placement_without_an_engagement(ctx: ServiceContext) -> None:
    case = await coaching_case(ctx)

    outcome = await handlers.start_placement(ctx, meta(NGO), start(case))

    assert outcome.created
    placement_id = uuid.UUID(outcome.answer["placement_id"])
    assert await appended(ctx) == [placement_started(case, placement_id, None)]


async def test_starting_a_placement_within_an_engagement(ctx: ServiceContext) -> None:
    case = await coaching_case(ctx)
    engagement_id = await engagement_of(ctx, case)

    outcome = await handlers.start_placement(ctx, meta(NGO), start(case, engagement_id))

    placement_id = uuid.UUID(outcome.answer["placement_id"])
    assert await appended(ctx, after=1) == [placement_started(case, placement_id, engagement_id)]


async def test_an_engagement_of_another_client_is_refused(ctx: ServiceContext) -> None:
    case, other = await coaching_case(ctx), await coaching_case(ctx)
    engagement_id = await engagement_of(ctx, other)

    error = await refuses(ctx, InvalidCommand,
                          handlers.start_placement(ctx, meta(NGO), start(case, engagement_id)))
    assert isinstance(error, InvalidCommand) and error.field == "engagement_id"


async def test_an_ended_engagement_takes_no_placement(ctx: ServiceContext) -> None:
    case = await coaching_case(ctx)
    engagement_id = await engagement_of(ctx, case, ended=True)

    await refuses(ctx, StateConflict,
                  handlers.start_placement(ctx, meta(NGO), start(case, engagement_id)),
                  containing="has ended")


async def test_an_engagement_never_started_is_unknown(ctx: ServiceContext) -> None:
    case = await coaching_case(ctx)

    await refuses(ctx, UnknownAggregate,
                  handlers.start_placement(ctx, meta(NGO), start(case, uuid.uuid4())))


async def test_a_placement_at_what_is_not_an_employer(ctx: ServiceContext) -> None:
    case = await coaching_case(ctx)

    error = await refuses(ctx, InvalidCommand, handlers.start_placement(
        ctx, meta(NGO), start(case, employer_id=KELA)), containing="not an employer")
    assert isinstance(error, InvalidCommand) and error.field == "employer_id"


async def test_an_uninvolved_organisation_places_nobody(ctx: ServiceContext) -> None:
    case = await coaching_case(ctx)

    await refuses(ctx, NotPermitted, handlers.start_placement(ctx, meta(OUTSIDER), start(case)))


# Follow-along support and the end --------------------------------------------------------


async def test_follow_along_support(ctx: ServiceContext) -> None:
    case = await coaching_case(ctx)
    placement_id = await placement_of(ctx, case)

    outcome = await handlers.give_follow_along_support(
        ctx, meta(NGO), placement_id,
        GiveFollowAlongSupport(mode=FollowAlongMode.WORKPLACE_VISIT, occurred_at=AT))

    assert outcome.stream_versions == {f"placement:{placement_id}": 2}
    assert await appended(ctx, after=1) == [FollowAlongSupportGiven(
        placement_id=placement_id, client_id=case.client_id,
        mode=FollowAlongMode.WORKPLACE_VISIT, occurred_at=AT)]


async def test_support_on_a_placement_never_started(ctx: ServiceContext) -> None:
    await refuses(ctx, UnknownAggregate, handlers.give_follow_along_support(
        ctx, meta(NGO), uuid.uuid4(),
        GiveFollowAlongSupport(mode=FollowAlongMode.PHONE, occurred_at=AT)))


async def test_an_uninvolved_organisation_gives_no_support(ctx: ServiceContext) -> None:
    case = await coaching_case(ctx)
    placement_id = await placement_of(ctx, case)

    await refuses(ctx, NotPermitted, handlers.give_follow_along_support(
        ctx, meta(OUTSIDER), placement_id,
        GiveFollowAlongSupport(mode=FollowAlongMode.PHONE, occurred_at=AT)))


async def test_a_placement_ends_once(ctx: ServiceContext) -> None:
    case = await coaching_case(ctx)
    placement_id = await placement_of(ctx, case)
    end = EndPlacement(reason=PlacementEndReason.ENDED_AS_AGREED, occurred_at=AT)

    await handlers.end_placement(ctx, meta(NGO), placement_id, end)

    assert await appended(ctx, after=1) == [PlacementEnded(
        placement_id=placement_id, client_id=case.client_id,
        reason=PlacementEndReason.ENDED_AS_AGREED, occurred_at=AT)]
    await refuses(ctx, StateConflict, handlers.end_placement(ctx, meta(NGO), placement_id, end),
                  containing="a placement ends once")


# Fidelity reviews ------------------------------------------------------------------------


async def test_a_fidelity_review_of_the_callers_organisation(ctx: ServiceContext) -> None:
    scores = {item: 1 + int(item) % 5 for item in FIDELITY_ITEMS}
    command = RecordFidelityReview.model_validate({"item_scores": scores, "occurred_at": AT})

    outcome = await handlers.record_fidelity_review(ctx, meta(NGO), command)

    total = sum(scores.values())
    review_id = uuid.UUID(outcome.answer["review_id"])
    assert (outcome.created, outcome.answer["total"]) == (True, total)
    assert await appended(ctx) == [FidelityReviewRecorded(
        review_id=review_id, organisation_id=NGO, item_scores=scores, total=total,
        occurred_at=AT)]
