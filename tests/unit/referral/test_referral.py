"""Referral decider: made once, decided once by the right organisation; accept opens a case."""

from __future__ import annotations

import uuid

import pytest

from contracts.codes import (
    DeclineReason,
    ReferralReason,
    ReferringOrgKind,
    RegionCode,
    ServiceKind,
    Sex,
    Triage,
)
from contracts.commands.referral import (
    AcceptReferral,
    DeclineReferral,
    MakeReferral,
    WithdrawReferral,
)
from contracts.events.referral import (
    CaseOpened,
    ClientRegistered,
    PersonalDataErased,
    ReferralAccepted,
    ReferralDeclined,
    ReferralMade,
    ReferralWithdrawn,
)
from services.decider import (
    InvalidCommand,
    NotPermitted,
    StateConflict,
    UnknownAggregate,
)
from services.referral.domain import client, referral
from tests.unit.referral.builders import EMPLOYMENT, NOW, SOTE, context, given

CLIENT_ID, REFERRAL_ID, CASE_ID, WORKER = (uuid.uuid4() for _ in range(4))
CLIENT = given(client.initial_state, client.evolve, [ClientRegistered(
    client_id=CLIENT_ID, birth_year=1980, sex=Sex.FEMALE, home_region=RegionCode.KYMENLAAKSO,
    occurred_at=NOW)])
MADE = ReferralMade(
    referral_id=REFERRAL_ID, client_id=CLIENT_ID, referring_organisation_id=EMPLOYMENT,
    referring_org_kind=ReferringOrgKind.EMPLOYMENT_SERVICES, target_organisation_id=SOTE,
    target_service=ServiceKind.WORK_ABILITY_ASSESSMENT,
    reasons=[ReferralReason.LONG_TERM_UNEMPLOYMENT], triage=Triage.RED,
    unemployment_months=14, occurred_at=NOW)
ACCEPT = AcceptReferral(responsible_worker_id=WORKER)
DECLINE = DeclineReferral(reason=DeclineReason.NO_CAPACITY)
WITHDRAW = WithdrawReferral()


def make(**changes: object) -> MakeReferral:
    fields: dict[str, object] = {
        "client_id": CLIENT_ID, "target_organisation_id": SOTE,
        "target_service": ServiceKind.WORK_ABILITY_ASSESSMENT,
        "reasons": [ReferralReason.LONG_TERM_UNEMPLOYMENT], "triage": Triage.RED,
        "unemployment_months": 14}
    return MakeReferral.model_validate({**fields, **changes})


def made(*more: object) -> referral.ReferralState:
    return given(referral.initial_state, referral.evolve, [MADE, *more])  # type: ignore[list-item]


def test_make_takes_the_callers_organisation_and_kind() -> None:
    events = referral.decide(make(), referral.initial_state,
                             context(EMPLOYMENT, new_id=REFERRAL_ID, client=CLIENT))
    assert events == [MADE]


def test_self_referral_has_no_referring_organisation() -> None:
    [event] = referral.decide(make(referring_org_kind="client_self"), referral.initial_state,
                              context(EMPLOYMENT, client=CLIENT))
    assert isinstance(event, ReferralMade)
    assert event.referring_organisation_id is None
    assert event.referring_org_kind is ReferringOrgKind.CLIENT_SELF


def test_make_rejects_a_kind_other_than_the_callers() -> None:
    with pytest.raises(InvalidCommand) as raised:
        referral.decide(make(referring_org_kind="kela"), referral.initial_state,
                        context(EMPLOYMENT, client=CLIENT))
    assert raised.value.field == "referring_org_kind"


def test_make_needs_a_known_target_organisation() -> None:
    with pytest.raises(InvalidCommand) as raised:
        referral.decide(make(target_organisation_id="atlantis-sote"), referral.initial_state,
                        context(EMPLOYMENT, client=CLIENT))
    assert raised.value.field == "target_organisation_id"


def test_make_by_an_unregistered_organisation_is_refused() -> None:
    with pytest.raises(NotPermitted):
        referral.decide(make(), referral.initial_state, context("atlantis-sote", client=CLIENT))


def test_make_needs_a_registered_client() -> None:
    with pytest.raises(UnknownAggregate):
        referral.decide(make(), referral.initial_state,
                        context(EMPLOYMENT, client=client.initial_state))


def test_make_for_an_erased_client_conflicts() -> None:
    erased = client.evolve(CLIENT, PersonalDataErased(client_id=CLIENT_ID, occurred_at=NOW))
    with pytest.raises(StateConflict):
        referral.decide(make(), referral.initial_state, context(EMPLOYMENT, client=erased))


def test_accept_by_target_opens_the_case_in_the_same_decision() -> None:
    events = referral.decide(ACCEPT, made(), context(SOTE, new_id=CASE_ID))
    assert events == [
        ReferralAccepted(referral_id=REFERRAL_ID, client_id=CLIENT_ID, case_id=CASE_ID,
                         occurred_at=NOW),
        CaseOpened(case_id=CASE_ID, client_id=CLIENT_ID, organisation_id=SOTE,
                   service=ServiceKind.WORK_ABILITY_ASSESSMENT, referral_id=REFERRAL_ID,
                   responsible_worker_id=WORKER, occurred_at=NOW),
    ]


def test_decline_by_target() -> None:
    command = DeclineReferral(reason=DeclineReason.REDIRECTED,
                              redirected_service=ServiceKind.JOB_COACHING)
    assert referral.decide(command, made(), context(SOTE)) == [ReferralDeclined(
        referral_id=REFERRAL_ID, client_id=CLIENT_ID, reason=DeclineReason.REDIRECTED,
        redirected_service=ServiceKind.JOB_COACHING, occurred_at=NOW)]


def test_decline_as_redirected_names_the_service() -> None:
    with pytest.raises(InvalidCommand):
        referral.decide(DeclineReferral(reason=DeclineReason.REDIRECTED), made(), context(SOTE))


def test_withdraw_by_referring_organisation() -> None:
    assert referral.decide(WITHDRAW, made(), context(EMPLOYMENT)) == [
        ReferralWithdrawn(referral_id=REFERRAL_ID, client_id=CLIENT_ID, occurred_at=NOW)]


@pytest.mark.parametrize(("command", "org"), [
    (ACCEPT, EMPLOYMENT), (DECLINE, EMPLOYMENT), (ACCEPT, "kymenlaakso-kela"),
    (WITHDRAW, SOTE), (WITHDRAW, "kymenlaakso-kela"),
])
def test_wrong_organisation_is_refused(command: referral.ReferralCommand, org: str) -> None:
    with pytest.raises(NotPermitted):
        referral.decide(command, made(), context(org))


@pytest.mark.parametrize(("first", "by"), [
    (ReferralAccepted(referral_id=REFERRAL_ID, client_id=CLIENT_ID, case_id=CASE_ID,
                      occurred_at=NOW), SOTE),
    (ReferralDeclined(referral_id=REFERRAL_ID, client_id=CLIENT_ID,
                      reason=DeclineReason.NO_CAPACITY, redirected_service=None,
                      occurred_at=NOW), SOTE),
    (ReferralWithdrawn(referral_id=REFERRAL_ID, client_id=CLIENT_ID, occurred_at=NOW), SOTE),
])
@pytest.mark.parametrize("second", [ACCEPT, DECLINE])
def test_decided_once(first: object, by: str, second: referral.ReferralCommand) -> None:
    with pytest.raises(StateConflict):
        referral.decide(second, made(first), context(by))


def test_withdraw_after_decision_conflicts() -> None:
    accepted = ReferralAccepted(referral_id=REFERRAL_ID, client_id=CLIENT_ID, case_id=CASE_ID,
                                occurred_at=NOW)
    with pytest.raises(StateConflict):
        referral.decide(WITHDRAW, made(accepted), context(EMPLOYMENT))


def test_self_referral_is_withdrawn_through_the_receiving_organisation() -> None:
    self_made = MADE.model_copy(update={"referring_organisation_id": None,
                                        "referring_org_kind": ReferringOrgKind.CLIENT_SELF})
    state = given(referral.initial_state, referral.evolve, [self_made])
    assert len(referral.decide(WITHDRAW, state, context(SOTE))) == 1
    with pytest.raises(NotPermitted):
        referral.decide(WITHDRAW, state, context(EMPLOYMENT))


@pytest.mark.parametrize("command", [ACCEPT, DECLINE, WITHDRAW])
def test_unknown_referral(command: referral.ReferralCommand) -> None:
    with pytest.raises(UnknownAggregate):
        referral.decide(command, referral.initial_state, context(SOTE))


def test_make_twice_on_one_stream_conflicts() -> None:
    with pytest.raises(StateConflict):
        referral.decide(make(), made(), context(EMPLOYMENT, client=CLIENT))
