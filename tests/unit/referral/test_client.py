"""Client decider: registration, consents, withdrawal, erasure (given events, when command)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from contracts.codes import ConsentScope, RegionCode, Role, Sex
from contracts.commands.referral import (
    ErasePersonalData,
    GiveConsent,
    RegisterClient,
    WithdrawConsent,
)
from contracts.events.referral import (
    ClientRegistered,
    ConsentGiven,
    ConsentWithdrawn,
    PersonalDataErased,
)
from services.decider import (
    InvalidCommand,
    StateConflict,
    UnknownAggregate,
)
from services.referral.domain import client
from services.referral.domain.client import WithdrawConsentById
from tests.unit.referral.builders import NOW, context, given, identity_code

CLIENT_ID = uuid.uuid4()
CODE = identity_code(date(1984, 3, 7), 123)  # odd individual number: male
REGISTERED = ClientRegistered(client_id=CLIENT_ID, birth_year=1984, sex=Sex.MALE,
                              home_region=RegionCode.KYMENLAAKSO, occurred_at=NOW)


def register(code: str = CODE) -> RegisterClient:
    return RegisterClient(identity_code=code, first_name="Testi", last_name="Asiakas",
                          home_region=RegionCode.KYMENLAAKSO)


def state(*events: object) -> client.ClientState:
    return given(client.initial_state, client.evolve, events)  # type: ignore[arg-type]


def consent_given(consent_id: uuid.UUID, orgs: list[str]) -> ConsentGiven:
    return ConsentGiven(client_id=CLIENT_ID, consent_id=consent_id,
                        scope=ConsentScope.DATA_SHARING, organisation_ids=orgs,
                        valid_until=None, occurred_at=NOW)


def test_register_derives_birth_year_and_sex_and_keeps_no_code() -> None:
    events = client.decide(register(), client.initial_state, context(new_id=CLIENT_ID))
    assert events == [REGISTERED]
    assert CODE not in events[0].model_dump_json()


def test_register_female_from_even_individual_number_and_2000s() -> None:
    code = identity_code(date(2003, 11, 30), 244, "B")
    [event] = client.decide(register(code), client.initial_state, context(new_id=CLIENT_ID))
    assert isinstance(event, ClientRegistered)
    assert (event.birth_year, event.sex) == (2003, Sex.FEMALE)


def test_register_again_is_no_event() -> None:
    assert client.decide(register(), state(REGISTERED), context(new_id=CLIENT_ID)) == []


def test_register_after_erasure_conflicts() -> None:
    erased = PersonalDataErased(client_id=CLIENT_ID, occurred_at=NOW)
    with pytest.raises(StateConflict):
        client.decide(register(), state(REGISTERED, erased), context(new_id=CLIENT_ID))


@pytest.mark.parametrize("bad", [
    CODE[:-1] + ("0" if CODE[-1] != "0" else "1"),  # wrong check character
    CODE[:6] + "G" + CODE[7:],  # wrong century sign
    "310299-123X",  # impossible date (31 February)
    "abc",
])
def test_register_rejects_invalid_identity_codes_without_echoing_them(bad: str) -> None:
    with pytest.raises(ValidationError) as raised:
        register(bad)
    assert raised.value.errors()[0]["loc"] == ("identity_code",)
    assert bad not in str(raised.value)


def test_data_sharing_consent() -> None:
    consent_id = uuid.uuid4()
    command = GiveConsent(scope=ConsentScope.DATA_SHARING,
                          organisation_ids=["kymenlaakso-kela", "kymenlaakso-kela"],
                          valid_until=NOW.date() + timedelta(days=30))
    events = client.decide(command, state(REGISTERED), context(new_id=consent_id))
    assert events == [ConsentGiven(
        client_id=CLIENT_ID, consent_id=consent_id, scope=ConsentScope.DATA_SHARING,
        organisation_ids=["kymenlaakso-kela"], valid_until=NOW.date() + timedelta(days=30),
        occurred_at=NOW)]


def test_research_consent_names_no_organisation() -> None:
    [event] = client.decide(GiveConsent(scope=ConsentScope.RESEARCH), state(REGISTERED),
                            context())
    assert isinstance(event, ConsentGiven) and event.organisation_ids == []
    with pytest.raises(ValidationError):
        GiveConsent(scope=ConsentScope.RESEARCH, organisation_ids=["kymenlaakso-kela"])


@pytest.mark.parametrize(("command", "field"), [
    (GiveConsent(scope=ConsentScope.DATA_SHARING, organisation_ids=["nowhere-sote"]),
     "organisation_ids"),
    (GiveConsent(scope=ConsentScope.DATA_SHARING, organisation_ids=[]), "organisation_ids"),
    (GiveConsent(scope=ConsentScope.RESEARCH, valid_until=NOW.date() - timedelta(days=1)),
     "valid_until"),
])
def test_consent_input_errors(command: GiveConsent, field: str) -> None:
    with pytest.raises(InvalidCommand) as raised:
        client.decide(command, state(REGISTERED), context())
    assert raised.value.field == field


def test_consent_for_unknown_client() -> None:
    with pytest.raises(UnknownAggregate):
        client.decide(GiveConsent(scope=ConsentScope.RESEARCH), client.initial_state, context())


def test_withdraw_consent_once() -> None:
    consent_id = uuid.uuid4()
    given_state = state(REGISTERED, consent_given(consent_id, ["kymenlaakso-kela"]))
    command = WithdrawConsentById(consent_id, WithdrawConsent())
    assert client.decide(command, given_state, context()) == [
        ConsentWithdrawn(client_id=CLIENT_ID, consent_id=consent_id, occurred_at=NOW)]
    withdrawn = client.evolve(given_state, ConsentWithdrawn(
        client_id=CLIENT_ID, consent_id=consent_id, occurred_at=NOW))
    with pytest.raises(StateConflict):
        client.decide(command, withdrawn, context())


def test_withdraw_unknown_consent() -> None:
    with pytest.raises(UnknownAggregate):
        client.decide(WithdrawConsentById(uuid.uuid4()), state(REGISTERED), context())


def test_consent_activity_and_sharing() -> None:
    consent_id = uuid.uuid4()
    consent = state(REGISTERED, consent_given(consent_id, ["kymenlaakso-kela"])).consents[
        consent_id]
    assert consent.shares_with("kymenlaakso-kela", NOW.date())
    assert not consent.shares_with("kymenlaakso-ngo", NOW.date())


def test_erase_once() -> None:
    # Who may erase is the access policy's (tests/unit/runtime/test_access_policy.py).
    events = client.decide(ErasePersonalData(), state(REGISTERED), context(role=Role.ADMIN))
    assert events == [PersonalDataErased(client_id=CLIENT_ID, occurred_at=NOW)]
    with pytest.raises(StateConflict):
        client.decide(ErasePersonalData(), state(REGISTERED, *events), context(role=Role.ADMIN))


def test_erase_unknown_client_is_404_before_403() -> None:
    with pytest.raises(UnknownAggregate):
        client.decide(ErasePersonalData(), client.initial_state, context(role=Role.NURSE))


def test_no_consent_after_erasure() -> None:
    erased = PersonalDataErased(client_id=CLIENT_ID, occurred_at=NOW)
    with pytest.raises(StateConflict):
        client.decide(GiveConsent(scope=ConsentScope.RESEARCH), state(REGISTERED, erased),
                      context())
