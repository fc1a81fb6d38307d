"""The coaching service's engagement handlers on the in-memory stores, with no server: given
the referral events the service consumed (its access store) and the events in its store,
when a handler runs a command, then the events it appended — or the typed error, with
nothing appended."""

from __future__ import annotations

import uuid

import pytest

from contracts.codes import EmployerContactPurpose, ExitDestination, Role, ServiceKind
from contracts.commands.coaching import (
    CompleteVocationalProfile,
    ContactEmployer,
    EndCoaching,
    StartCoaching,
)
from contracts.events.coaching import (
    CoachingEnded,
    CoachingStarted,
    EmployerContacted,
    VocationalProfileCompleted,
)
from services.coaching import handlers
from services.coaching.handlers import engagement_id_for_case
from services.decider import InvalidCommand, NotPermitted, StateConflict, UnknownAggregate
from services.runtime.service import ServiceContext
from tests.support.access_facts import (
    AT,
    EMPLOYER,
    KELA,
    NGO,
    OUTSIDER,
    Referred,
    case_closed,
    client_in_case,
)
from tests.support.handlers import (
    appended,
    consumed,
    given,
    memory_context,
    meta,
    position,
    refuses,
)

COACH = uuid.uuid4()


@pytest.fixture
def ctx() -> ServiceContext:
    return memory_context("coaching")


async def coaching_case(ctx: ServiceContext) -> Referred:
    """A client SOTE referred to the NGO for job coaching; the NGO's case is open."""
    return await client_in_case(ctx, holder=NGO, service=ServiceKind.JOB_COACHING)


def start(case: Referred, *, on_case: bool) -> StartCoaching:
    return StartCoaching(client_id=case.client_id, coach_id=COACH,
                         case_id=case.case_id if on_case else None, occurred_at=AT)


def coaching_started(case: Referred, engagement_id: uuid.UUID, *,
                     on_case: bool) -> CoachingStarted:
    return CoachingStarted(engagement_id=engagement_id, client_id=case.client_id,
                           organisation_id=case.holder, coach_id=COACH,
                           case_id=case.case_id if on_case else None, occurred_at=AT)


async def engagement_started(ctx: ServiceContext, case: Referred) -> uuid.UUID:
    """An engagement the case holder started by hand (in the store)."""
    engagement_id = uuid.uuid4()
    await given(ctx, coaching_started(case, engagement_id, on_case=False), by=meta(case.holder))
    return engagement_id


# Starting coaching -----------------------------------------------------------------------


async def test_starting_coaching_without_a_case(ctx: ServiceContext) -> None:
    case = await coaching_case(ctx)

    outcome = await handlers.start_coaching(ctx, meta(NGO, Role.JOB_COACH),
                                            start(case, on_case=False))

    assert outcome.created
    engagement_id = uuid.UUID(outcome.answer["engagement_id"])
    assert engagement_id != engagement_id_for_case(case.case_id)
    assert await appended(ctx) == [coaching_started(case, engagement_id, on_case=False)]


async def test_starting_coaching_for_a_case_takes_the_cases_engagement_id(
    ctx: ServiceContext,
) -> None:
    case = await coaching_case(ctx)

    outcome = await handlers.start_coaching(ctx, meta(NGO), start(case, on_case=True))

    engagement_id = engagement_id_for_case(case.case_id)
    assert (outcome.created, outcome.answer) == (True, {"engagement_id": str(engagement_id)})
    assert await appended(ctx) == [coaching_started(case, engagement_id, on_case=True)]


async def test_a_cases_engagement_started_twice_answers_the_existing_one(
    ctx: ServiceContext,
) -> None:
    case = await coaching_case(ctx)
    first = await handlers.start_coaching(ctx, meta(NGO), start(case, on_case=True))
    before = await position(ctx)

    again = await handlers.start_coaching(ctx, meta(NGO), start(case, on_case=True))

    assert (again.created, again.answer) == (False, first.answer)
    assert await appended(ctx, before) == []


async def test_a_case_of_another_client_is_refused(ctx: ServiceContext) -> None:
    case, other = await coaching_case(ctx), await coaching_case(ctx)
    command = start(case, on_case=True).model_copy(update={"case_id": other.case_id})

    error = await refuses(ctx, InvalidCommand, handlers.start_coaching(ctx, meta(NGO), command))
    assert isinstance(error, InvalidCommand) and error.field == "case_id"


async def test_a_case_the_service_has_not_heard_of_is_unknown(ctx: ServiceContext) -> None:
    case = await coaching_case(ctx)
    command = start(case, on_case=True).model_copy(update={"case_id": uuid.uuid4()})

    await refuses(ctx, UnknownAggregate, handlers.start_coaching(ctx, meta(NGO), command))


async def test_a_closed_case_without_an_engagement_takes_none(ctx: ServiceContext) -> None:
    case = await coaching_case(ctx)
    await consumed(ctx, case_closed(case.client_id, case.case_id), by=NGO)

    await refuses(ctx, StateConflict,
                  handlers.start_coaching(ctx, meta(NGO), start(case, on_case=True)),
                  containing="closed")


async def test_an_uninvolved_organisation_may_not_start_coaching(ctx: ServiceContext) -> None:
    case = await coaching_case(ctx)

    await refuses(ctx, NotPermitted,
                  handlers.start_coaching(ctx, meta(OUTSIDER), start(case, on_case=False)),
                  containing=f"organisation {OUTSIDER} may not record data about the client")


async def test_coaching_a_client_never_heard_of(ctx: ServiceContext) -> None:
    command = StartCoaching(client_id=uuid.uuid4(), coach_id=COACH, occurred_at=AT)

    await refuses(ctx, UnknownAggregate, handlers.start_coaching(ctx, meta(NGO), command),
                  containing="is not known to this service")


# Working on an engagement ----------------------------------------------------------------


async def test_completing_the_vocational_profile(ctx: ServiceContext) -> None:
    case = await coaching_case(ctx)
    engagement_id = await engagement_started(ctx, case)

    outcome = await handlers.complete_vocational_profile(
        ctx, meta(NGO), engagement_id, CompleteVocationalProfile(occurred_at=AT))

    assert outcome.stream_versions == {f"engagement:{engagement_id}": 2}
    assert await appended(ctx, after=1) == [VocationalProfileCompleted(
        engagement_id=engagement_id, client_id=case.client_id, occurred_at=AT)]


async def test_an_engagement_never_started_is_unknown(ctx: ServiceContext) -> None:
    await refuses(ctx, UnknownAggregate, handlers.complete_vocational_profile(
        ctx, meta(NGO), uuid.uuid4(), CompleteVocationalProfile(occurred_at=AT)))


async def test_an_uninvolved_organisation_may_not_work_on_it(ctx: ServiceContext) -> None:
    case = await coaching_case(ctx)
    engagement_id = await engagement_started(ctx, case)

    await refuses(ctx, NotPermitted, handlers.complete_vocational_profile(
        ctx, meta(KELA), engagement_id, CompleteVocationalProfile(occurred_at=AT)))


async def test_contacting_an_employer(ctx: ServiceContext) -> None:
    case = await coaching_case(ctx)
    engagement_id = await engagement_started(ctx, case)
    command = ContactEmployer(employer_id=EMPLOYER, purpose=EmployerContactPurpose.JOB_SEARCH,
                              occurred_at=AT)

    await handlers.contact_employer(ctx, meta(NGO), engagement_id, command)

    assert await appended(ctx, after=1) == [EmployerContacted(
        engagement_id=engagement_id, client_id=case.client_id, employer_id=EMPLOYER,
        purpose=EmployerContactPurpose.JOB_SEARCH, occurred_at=AT)]


@pytest.mark.parametrize(("employer_id", "says"), [
    (KELA, "the organisation is not an employer"),
    ("nowhere-oy", "not an organisation of the registry"),
])
async def test_contacting_what_is_not_an_employer(
    ctx: ServiceContext, employer_id: str, says: str,
) -> None:
    case = await coaching_case(ctx)
    engagement_id = await engagement_started(ctx, case)
    command = ContactEmployer(employer_id=employer_id,
                              purpose=EmployerContactPurpose.JOB_SEARCH, occurred_at=AT)

    error = await refuses(ctx, InvalidCommand,
                          handlers.contact_employer(ctx, meta(NGO), engagement_id, command),
                          containing=says)
    assert isinstance(error, InvalidCommand) and error.field == "employer_id"


async def test_ending_coaching_and_then_working_on_it(ctx: ServiceContext) -> None:
    case = await coaching_case(ctx)
    engagement_id = await engagement_started(ctx, case)
    end = EndCoaching(outcome=ExitDestination.EMPLOYMENT, occurred_at=AT)

    await handlers.end_coaching(ctx, meta(NGO), engagement_id, end)

    assert await appended(ctx, after=1) == [CoachingEnded(
        engagement_id=engagement_id, client_id=case.client_id,
        outcome=ExitDestination.EMPLOYMENT, occurred_at=AT)]
    await refuses(ctx, StateConflict, handlers.end_coaching(ctx, meta(NGO), engagement_id, end),
                  containing="has ended")
    await refuses(ctx, StateConflict, handlers.complete_vocational_profile(
        ctx, meta(NGO), engagement_id, CompleteVocationalProfile(occurred_at=AT)))
