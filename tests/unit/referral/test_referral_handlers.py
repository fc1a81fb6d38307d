"""Referral handlers for referrals, cases and feedback on the in-memory store (no server):
given events, when a command through its handler, then the events appended or a typed
error with nothing appended."""

from __future__ import annotations

import uuid
from uuid import UUID

from contracts.codes import (
    DeclineReason,
    ExitDestination,
    ReferralReason,
    ReferringOrgKind,
    Role,
    ServiceKind,
)
from contracts.commands.referral import (
    AcceptReferral,
    CloseCase,
    DeclineReferral,
    GiveFeedback,
    MakeReferral,
    TransferResponsibility,
    WithdrawReferral,
)
from contracts.events.referral import (
    CaseClosed,
    CaseOpened,
    ClientFeedbackGiven,
    PersonalDataErased,
    ReferralAccepted,
    ReferralDeclined,
    ReferralWithdrawn,
    ResponsibilityTransferred,
)
from services.decider import InvalidCommand, NotPermitted, StateConflict, UnknownAggregate
from services.referral import handlers
from tests.support.handlers import appended, given, meta, position, refuses
from tests.unit.referral.builders import EMPLOYMENT, KELA, NGO, SOTE
from tests.unit.referral.handler_support import (
    NOW,
    WORKER,
    case_held,
    made,
    referral_context,
    referred,
    registered,
)


def referral_to(client_id: UUID, target: str = EMPLOYMENT,
                kind: ReferringOrgKind | None = None) -> MakeReferral:
    return MakeReferral(client_id=client_id, target_organisation_id=target,
                        target_service=ServiceKind.JOB_COACHING,
                        reasons=[ReferralReason.LONG_TERM_UNEMPLOYMENT],
                        referring_org_kind=kind, occurred_at=NOW)


def feedback_on(client_id: UUID | None = None, organisation_id: str = EMPLOYMENT) -> GiveFeedback:
    return GiveFeedback(client_id=client_id, organisation_id=organisation_id,
                        service=ServiceKind.JOB_COACHING, score=8, helped=True, occurred_at=NOW)


# Making a referral


async def test_make_a_referral_of_a_registered_client() -> None:
    ctx = referral_context()
    client_id = await registered(ctx)
    before = await position(ctx)
    outcome = await handlers.make_referral(ctx, meta(SOTE), referral_to(client_id))
    referral_id = UUID(outcome.answer["referral_id"])
    assert outcome.created
    assert await appended(ctx, before) == [made(client_id, referral_id, by=SOTE)]


async def test_a_self_referral_names_no_referring_organisation() -> None:
    ctx = referral_context()
    client_id = await registered(ctx)
    before = await position(ctx)
    outcome = await handlers.make_referral(
        ctx, meta(EMPLOYMENT), referral_to(client_id, kind=ReferringOrgKind.CLIENT_SELF))
    assert await appended(ctx, before) == [
        made(client_id, UUID(outcome.answer["referral_id"]), by=None)]


async def test_make_a_referral_refused() -> None:
    ctx = referral_context()
    await refuses(ctx, UnknownAggregate,
                  handlers.make_referral(ctx, meta(SOTE), referral_to(uuid.uuid4())))
    client_id = await registered(ctx)
    await refuses(ctx, NotPermitted,
                  handlers.make_referral(ctx, meta(SOTE, Role.ANALYST), referral_to(client_id)))
    error = await refuses(ctx, InvalidCommand, handlers.make_referral(
        ctx, meta(SOTE), referral_to(client_id, target="nowhere-org")))
    assert isinstance(error, InvalidCommand) and error.field == "target_organisation_id"
    await given(ctx, PersonalDataErased(client_id=client_id, occurred_at=NOW))
    await refuses(ctx, StateConflict,
                  handlers.make_referral(ctx, meta(SOTE), referral_to(client_id)), "erased")


# Deciding a referral: the target accepts or declines, the referrer withdraws


async def test_the_target_accepts_and_a_case_opens_with_it() -> None:
    ctx = referral_context()
    client_id = await registered(ctx)
    referral_id = await referred(ctx, client_id, to=EMPLOYMENT)
    before = await position(ctx)
    outcome = await handlers.decide_referral(
        ctx, meta(EMPLOYMENT), referral_id,
        AcceptReferral(responsible_worker_id=WORKER, occurred_at=NOW))
    case_id = UUID(outcome.answer["case_id"])
    assert outcome.answer["referral_id"] == str(referral_id)
    assert outcome.stream_versions == {f"referral:{referral_id}": 2, f"case:{case_id}": 1}
    assert await appended(ctx, before) == [
        ReferralAccepted(referral_id=referral_id, client_id=client_id, case_id=case_id,
                         occurred_at=NOW),
        CaseOpened(case_id=case_id, client_id=client_id, organisation_id=EMPLOYMENT,
                   service=ServiceKind.JOB_COACHING, referral_id=referral_id,
                   responsible_worker_id=WORKER, occurred_at=NOW)]
    await refuses(ctx, StateConflict, handlers.decide_referral(
        ctx, meta(EMPLOYMENT), referral_id, AcceptReferral(responsible_worker_id=WORKER)),
        "decided once")


async def test_a_replayed_acceptance_answers_the_same_case_and_appends_nothing() -> None:
    ctx = referral_context()
    referral_id = await referred(ctx, await registered(ctx), to=EMPLOYMENT)
    keyed, body = meta(EMPLOYMENT, key="accept-1"), AcceptReferral(responsible_worker_id=WORKER)
    first = await handlers.decide_referral(ctx, keyed, referral_id, body)
    before = await position(ctx)
    again = await handlers.decide_referral(ctx, keyed, referral_id, body)
    assert again.replayed and (again.answer, again.stream_versions, again.event_ids) == (
        first.answer, first.stream_versions, first.event_ids)
    assert await appended(ctx, before) == []


async def test_only_the_target_accepts_or_declines() -> None:
    ctx = referral_context()
    referral_id = await referred(ctx, await registered(ctx), by=SOTE, to=EMPLOYMENT)
    accept = AcceptReferral(responsible_worker_id=WORKER)
    decline = DeclineReferral(reason=DeclineReason.NO_CAPACITY)
    for org in (SOTE, KELA):
        for body in (accept, decline):
            await refuses(ctx, NotPermitted, handlers.decide_referral(
                ctx, meta(org), referral_id, body), "target")
    await refuses(ctx, UnknownAggregate,
                  handlers.decide_referral(ctx, meta(EMPLOYMENT), uuid.uuid4(), accept))


async def test_the_target_declines() -> None:
    ctx = referral_context()
    client_id = await registered(ctx)
    referral_id = await referred(ctx, client_id, to=EMPLOYMENT)
    before = await position(ctx)
    body = DeclineReferral(reason=DeclineReason.REDIRECTED,
                           redirected_service=ServiceKind.HEALTH_CHECK, occurred_at=NOW)
    await handlers.decide_referral(ctx, meta(EMPLOYMENT), referral_id, body)
    assert await appended(ctx, before) == [ReferralDeclined(
        referral_id=referral_id, client_id=client_id, reason=DeclineReason.REDIRECTED,
        redirected_service=ServiceKind.HEALTH_CHECK, occurred_at=NOW)]


async def test_the_referrer_withdraws_and_the_target_may_not() -> None:
    ctx = referral_context()
    client_id = await registered(ctx)
    referral_id = await referred(ctx, client_id, by=SOTE, to=EMPLOYMENT)
    body = WithdrawReferral(occurred_at=NOW)
    await refuses(ctx, NotPermitted, handlers.decide_referral(
        ctx, meta(EMPLOYMENT), referral_id, body), "made the referral")
    before = await position(ctx)
    await handlers.decide_referral(ctx, meta(SOTE), referral_id, body)
    assert await appended(ctx, before) == [
        ReferralWithdrawn(referral_id=referral_id, client_id=client_id, occurred_at=NOW)]


async def test_a_self_referral_is_withdrawn_through_its_target() -> None:
    ctx = referral_context()
    client_id = await registered(ctx)
    referral_id = await referred(ctx, client_id, by=None, to=NGO)
    before = await position(ctx)
    await handlers.decide_referral(ctx, meta(NGO), referral_id, WithdrawReferral(occurred_at=NOW))
    assert await appended(ctx, before) == [
        ReferralWithdrawn(referral_id=referral_id, client_id=client_id, occurred_at=NOW)]


# Cases: the holder transfers or closes


async def test_the_holder_transfers_responsibility() -> None:
    ctx = referral_context()
    client_id, case_id = await case_held(ctx, holder=EMPLOYMENT)
    to_worker = uuid.uuid4()
    body = TransferResponsibility(to_organisation_id=NGO, to_worker_id=to_worker,
                                  occurred_at=NOW)
    await refuses(ctx, NotPermitted, handlers.change_case(ctx, meta(NGO), case_id, body), "holds")
    before = await position(ctx)
    outcome = await handlers.change_case(ctx, meta(EMPLOYMENT), case_id, body)
    assert outcome.answer == {"case_id": str(case_id)}
    assert outcome.stream_versions == {f"case:{case_id}": 2}
    assert await appended(ctx, before) == [ResponsibilityTransferred(
        case_id=case_id, client_id=client_id, from_organisation_id=EMPLOYMENT,
        from_worker_id=WORKER, to_organisation_id=NGO, to_worker_id=to_worker,
        occurred_at=NOW)]
    await refuses(ctx, NotPermitted,
                  handlers.change_case(ctx, meta(EMPLOYMENT), case_id, body))  # now NGO holds


async def test_a_transfer_names_a_known_organisation_and_another_worker() -> None:
    ctx = referral_context()
    _, case_id = await case_held(ctx, holder=EMPLOYMENT)
    for to_org, to_worker, field in (("nowhere-org", uuid.uuid4(), "to_organisation_id"),
                                     (EMPLOYMENT, WORKER, "to_worker_id")):
        body = TransferResponsibility(to_organisation_id=to_org, to_worker_id=to_worker)
        error = await refuses(ctx, InvalidCommand,
                              handlers.change_case(ctx, meta(EMPLOYMENT), case_id, body))
        assert isinstance(error, InvalidCommand) and error.field == field
    await refuses(ctx, UnknownAggregate,
                  handlers.change_case(ctx, meta(EMPLOYMENT), uuid.uuid4(), body))


async def test_the_holder_closes_the_case_once() -> None:
    ctx = referral_context()
    client_id, case_id = await case_held(ctx, holder=EMPLOYMENT)
    body = CloseCase(exit_destination=ExitDestination.EMPLOYMENT, occurred_at=NOW)
    await refuses(ctx, NotPermitted, handlers.change_case(ctx, meta(SOTE), case_id, body))
    before = await position(ctx)
    await handlers.change_case(ctx, meta(EMPLOYMENT), case_id, body)
    assert await appended(ctx, before) == [CaseClosed(
        case_id=case_id, client_id=client_id, exit_destination=ExitDestination.EMPLOYMENT,
        occurred_at=NOW)]
    await refuses(ctx, StateConflict,
                  handlers.change_case(ctx, meta(EMPLOYMENT), case_id, body), "closed")


# Feedback


async def test_anonymous_feedback_needs_no_client() -> None:
    ctx = referral_context()
    outcome = await handlers.give_feedback(ctx, meta(NGO), feedback_on())
    feedback_id = UUID(outcome.answer["feedback_id"])
    assert outcome.created
    assert await appended(ctx) == [ClientFeedbackGiven(
        feedback_id=feedback_id, client_id=None, organisation_id=EMPLOYMENT,
        service=ServiceKind.JOB_COACHING, score=8, felt_heard=None, helped=True,
        occurred_at=NOW)]
    error = await refuses(ctx, InvalidCommand, handlers.give_feedback(
        ctx, meta(NGO), feedback_on(organisation_id="nowhere-org")))
    assert isinstance(error, InvalidCommand) and error.field == "organisation_id"


async def test_feedback_about_a_client_by_the_involved_organisation() -> None:
    ctx = referral_context()
    client_id, _ = await case_held(ctx, holder=EMPLOYMENT)
    before = await position(ctx)
    outcome = await handlers.give_feedback(ctx, meta(EMPLOYMENT), feedback_on(client_id))
    [event] = await appended(ctx, before)
    assert event == ClientFeedbackGiven(
        feedback_id=UUID(outcome.answer["feedback_id"]), client_id=client_id,
        organisation_id=EMPLOYMENT, service=ServiceKind.JOB_COACHING, score=8,
        felt_heard=None, helped=True, occurred_at=NOW)


async def test_feedback_about_a_client_refused_to_a_stranger_or_an_unknown_client() -> None:
    ctx = referral_context()
    client_id, _ = await case_held(ctx, holder=EMPLOYMENT)
    await refuses(ctx, NotPermitted,
                  handlers.give_feedback(ctx, meta(KELA), feedback_on(client_id)), KELA)
    await refuses(ctx, UnknownAggregate,
                  handlers.give_feedback(ctx, meta(EMPLOYMENT), feedback_on(uuid.uuid4())))
    await refuses(ctx, NotPermitted, handlers.give_feedback(
        ctx, meta(EMPLOYMENT, Role.RESEARCHER), feedback_on(client_id)))

