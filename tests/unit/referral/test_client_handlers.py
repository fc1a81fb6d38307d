"""Referral handlers for clients on the in-memory store (no server): register, consents,
erasure, reads of personal data and idempotent replays — given events, when a command
through its handler, then the events appended or a typed error with nothing appended."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from contracts.codes import ConsentScope, RegionCode, Role, Sex
from contracts.commands.referral import ErasePersonalData, GiveConsent, WithdrawConsent
from contracts.events.referral import (
    ClientRegistered,
    ConsentGiven,
    ConsentWithdrawn,
    PersonalDataErased,
)
from services.decider import InvalidCommand, NotPermitted, StateConflict, UnknownAggregate
from services.referral import handlers
from services.referral.access import ReadPurpose
from services.referral.domain.client import WithdrawConsentById
from services.referral.personal_data import PersonalData
from services.referral.records import PersonalDataRead, RecordTaken
from services.runtime.application import Decision
from services.runtime.principal import Principal
from services.runtime.service import ServiceContext
from tests.support.handlers import appended, meta, position, refuses
from tests.unit.referral.builders import EMPLOYMENT, KELA, NGO, SOTE, identity_code
from tests.unit.referral.handler_support import (
    NOW,
    records,
    referral_context,
    referred,
    register,
    registered,
    vault,
)

CODE = identity_code(date(1984, 3, 7), 123)  # odd individual number: male


def consent(*orgs: str) -> GiveConsent:
    return GiveConsent(scope=ConsentScope.DATA_SHARING, organisation_ids=list(orgs),
                       occurred_at=NOW)


def reader(org: str, role: Role = Role.SOCIAL_WORKER) -> Principal:
    return Principal(str(uuid.uuid4()), org, role)


async def erase(ctx: ServiceContext, client_id: UUID, role: Role = Role.ADMIN) -> None:
    await handlers.erase_personal_data(ctx, meta(SOTE, role), client_id,
                                       ErasePersonalData(occurred_at=NOW))


# Registration


async def test_register_a_new_client_stores_the_sealed_data_and_indexes_the_code() -> None:
    ctx = referral_context()
    outcome = await handlers.register_client(ctx, meta(SOTE), register(CODE))
    client_id = vault(ctx).client_id_for(CODE)
    assert (outcome.answer, outcome.created) == ({"client_id": str(client_id)}, True)
    assert await appended(ctx) == [ClientRegistered(
        client_id=client_id, birth_year=1984, sex=Sex.MALE,
        home_region=RegionCode.KYMENLAAKSO, occurred_at=NOW)]
    stored = await ctx.store.read_from_position(1, 10)
    assert CODE not in stored[0].envelope and "Asiakas" not in stored[0].envelope
    sealed = await records(ctx).load(client_id)
    assert sealed is not None and vault(ctx).open(sealed).last_name == "Asiakas"
    assert await records(ctx).indexed_client(vault(ctx).identity_digest(CODE)) == client_id


async def test_register_the_same_code_again_answers_the_same_client_and_appends_nothing() -> None:
    ctx = referral_context()
    first = await handlers.register_client(ctx, meta(SOTE), register(CODE))
    before = await position(ctx)
    again = await handlers.register_client(ctx, meta(EMPLOYMENT), register(CODE.lower()))
    assert (again.answer, again.created) == (first.answer, False)
    assert await appended(ctx, before) == []


async def test_register_an_erased_code_gives_a_new_unrelated_client() -> None:
    ctx = referral_context()
    old = UUID((await handlers.register_client(ctx, meta(SOTE), register(CODE)))
               .answer["client_id"])
    await erase(ctx, old)
    before = await position(ctx)
    outcome = await handlers.register_client(ctx, meta(SOTE), register(CODE))
    new = UUID(outcome.answer["client_id"])
    assert new != old and outcome.created
    assert await appended(ctx, before) == [ClientRegistered(
        client_id=new, birth_year=1984, sex=Sex.MALE, home_region=RegionCode.KYMENLAAKSO,
        occurred_at=NOW)]
    assert await records(ctx).indexed_client(vault(ctx).identity_digest(CODE)) == new


async def test_register_needs_a_client_work_role_of_an_acting_organisation() -> None:
    ctx = referral_context()
    await refuses(ctx, NotPermitted,
                  handlers.register_client(ctx, meta(SOTE, Role.ANALYST), register(CODE)))
    await refuses(ctx, NotPermitted, handlers.register_client(
        ctx, meta("kymenlaakso-employer-1"), register(CODE)), "employer")
    assert await records(ctx).load(vault(ctx).client_id_for(CODE)) is None


async def test_a_code_indexed_meanwhile_fails_the_whole_side_write_with_its_events() -> None:
    """What a registration losing a race meets (it then retries and finds the winner):
    RecordTaken, and neither its personal data nor its events are kept."""
    ctx = referral_context()
    side, digest = records(ctx), vault(ctx).identity_digest(CODE)
    winner, loser = uuid.uuid4(), uuid.uuid4()

    async def index_winner(tx: Any) -> None:
        await side.index_client(tx, digest, winner)
    await ctx.store.append([], extra=index_winner)
    sealed = vault(ctx).seal(loser, PersonalData(CODE, "Testi", "Asiakas"))

    async def register_loser(tx: Any) -> None:
        await side.insert(tx, sealed)
        await side.index_client(tx, digest, loser)
    event = ClientRegistered(client_id=loser, birth_year=1984, sex=Sex.MALE,
                             home_region=RegionCode.KYMENLAAKSO, occurred_at=NOW)
    with pytest.raises(RecordTaken):
        await ctx.bus.commit(meta(SOTE), Decision([event], {f"client:{loser}": 0},
                                                  in_transaction=register_loser))
    assert await appended(ctx) == [] and await side.load(loser) is None
    assert await side.indexed_client(digest) == winner


# Consents


async def test_a_referrer_records_a_consent() -> None:
    ctx = referral_context()
    client_id = await registered(ctx)
    await referred(ctx, client_id, by=NGO)
    before = await position(ctx)
    outcome = await handlers.give_consent(ctx, meta(NGO), client_id, consent(KELA))
    consent_id = UUID(outcome.answer["consent_id"])
    assert outcome.created and outcome.answer["client_id"] == str(client_id)
    assert await appended(ctx, before) == [ConsentGiven(
        client_id=client_id, consent_id=consent_id, scope=ConsentScope.DATA_SHARING,
        organisation_ids=[KELA], valid_until=None, occurred_at=NOW)]


async def test_a_stranger_may_not_record_a_consent() -> None:
    ctx = referral_context()
    client_id = await registered(ctx)
    await refuses(ctx, NotPermitted,
                  handlers.give_consent(ctx, meta(NGO), client_id, consent(NGO)), NGO)


async def test_consent_of_an_unknown_client_or_naming_an_unknown_organisation() -> None:
    ctx = referral_context()
    await refuses(ctx, UnknownAggregate,
                  handlers.give_consent(ctx, meta(NGO), uuid.uuid4(), consent(NGO)))
    client_id = await registered(ctx)
    await referred(ctx, client_id, by=NGO)
    error = await refuses(ctx, InvalidCommand, handlers.give_consent(
        ctx, meta(NGO), client_id, consent("nowhere-org")))
    assert isinstance(error, InvalidCommand) and error.field == "organisation_ids"


async def test_withdraw_a_consent_by_the_organisation_that_recorded_it() -> None:
    ctx = referral_context()
    client_id = await registered(ctx)
    await referred(ctx, client_id, by=NGO)
    given = await handlers.give_consent(ctx, meta(NGO), client_id, consent(EMPLOYMENT))
    consent_id = UUID(given.answer["consent_id"])
    command = WithdrawConsentById(consent_id, WithdrawConsent(occurred_at=NOW))
    await refuses(ctx, NotPermitted,
                  handlers.withdraw_consent(ctx, meta(KELA), client_id, command))
    before = await position(ctx)
    outcome = await handlers.withdraw_consent(ctx, meta(NGO), client_id, command)
    assert outcome.answer == {"client_id": str(client_id), "consent_id": str(consent_id)}
    assert await appended(ctx, before) == [ConsentWithdrawn(
        client_id=client_id, consent_id=consent_id, occurred_at=NOW)]
    await refuses(ctx, StateConflict, handlers.withdraw_consent(ctx, meta(NGO), client_id,
                                                                command), "already")
    unknown = WithdrawConsentById(uuid.uuid4())
    await refuses(ctx, UnknownAggregate,
                  handlers.withdraw_consent(ctx, meta(NGO), client_id, unknown))


# Erasure


async def test_the_registrars_admin_or_dpo_erases_and_the_key_and_index_go_with_it() -> None:
    for role in (Role.ADMIN, Role.DATA_PROTECTION_OFFICER):
        ctx = referral_context()
        client_id = UUID((await handlers.register_client(ctx, meta(SOTE), register(CODE)))
                         .answer["client_id"])
        before = await position(ctx)
        outcome = await handlers.erase_personal_data(
            ctx, meta(SOTE, role), client_id, ErasePersonalData(occurred_at=NOW))
        assert outcome.answer == {"client_id": str(client_id), "erased": True}
        assert await appended(ctx, before) == [
            PersonalDataErased(client_id=client_id, occurred_at=NOW)]
        sealed = await records(ctx).load(client_id)
        assert sealed is not None and sealed.wrapped_key is None and sealed.ciphertext
        assert await records(ctx).indexed_client(vault(ctx).identity_digest(CODE)) is None


async def test_only_the_registrars_admin_or_dpo_erases_and_a_refusal_shreds_nothing() -> None:
    ctx = referral_context()
    client_id = UUID((await handlers.register_client(ctx, meta(SOTE), register(CODE)))
                     .answer["client_id"])
    body = ErasePersonalData(occurred_at=NOW)
    for org, role in ((SOTE, Role.SOCIAL_WORKER), (EMPLOYMENT, Role.ADMIN),
                      (NGO, Role.DATA_PROTECTION_OFFICER)):
        await refuses(ctx, NotPermitted,
                      handlers.erase_personal_data(ctx, meta(org, role), client_id, body))
    sealed = await records(ctx).load(client_id)
    assert sealed is not None and vault(ctx).open(sealed).first_name == "Testi"
    await refuses(ctx, UnknownAggregate, handlers.erase_personal_data(
        ctx, meta(SOTE, Role.ADMIN), uuid.uuid4(), body))
    await erase(ctx, client_id)
    await refuses(ctx, StateConflict, handlers.erase_personal_data(
        ctx, meta(SOTE, Role.ADMIN), client_id, body), "already")


# Reads of personal data: every read recorded, granted or refused


async def test_read_granted_to_the_registrar_and_recorded() -> None:
    ctx = referral_context()
    client_id = UUID((await handlers.register_client(ctx, meta(SOTE), register(CODE)))
                     .answer["client_id"])
    who = reader(SOTE)
    record = await handlers.read_client(ctx, who, client_id, ReadPurpose.CASE_MANAGEMENT)
    assert record == {"client_id": str(client_id), "erased": False, "identity_code": CODE,
                      "first_name": "Testi", "last_name": "Asiakas", "birth_year": 1984,
                      "sex": "male", "home_region": "kymenlaakso"}
    assert records(ctx).reads == [PersonalDataRead(
        client_id, SOTE, who.sub, "social_worker", "case_management", True, "registrar")]


async def test_read_refused_to_a_stranger_and_recorded() -> None:
    ctx = referral_context()
    client_id = UUID((await handlers.register_client(ctx, meta(SOTE), register(CODE)))
                     .answer["client_id"])
    who = reader(NGO)
    await refuses(ctx, NotPermitted, handlers.read_client(
        ctx, who, client_id, ReadPurpose.CLIENT_SERVICE), NGO)
    [read] = records(ctx).reads
    assert (read.client_id, read.reader_org, read.reader_sub, read.granted) == (
        client_id, NGO, who.sub, False)
    assert NGO in read.basis


async def test_read_of_an_erased_client_is_unknown_and_recorded() -> None:
    ctx = referral_context()
    client_id = UUID((await handlers.register_client(ctx, meta(SOTE), register(CODE)))
                     .answer["client_id"])
    await erase(ctx, client_id)
    await refuses(ctx, UnknownAggregate, handlers.read_client(
        ctx, reader(SOTE), client_id, ReadPurpose.DATA_SUBJECT_REQUEST))
    [read] = records(ctx).reads
    assert (read.granted, read.purpose) == (False, "data_subject_request")
    assert "erased" in read.basis
    await refuses(ctx, UnknownAggregate, handlers.read_client(
        ctx, reader(SOTE), uuid.uuid4(), ReadPurpose.CLIENT_SERVICE))
    assert len(records(ctx).reads) == 1  # no client, nothing to record a read of


# Idempotent replays


async def test_a_replayed_key_answers_the_same_and_appends_nothing() -> None:
    ctx = referral_context()
    client_id = await registered(ctx)
    await referred(ctx, client_id, by=NGO)
    keyed = meta(NGO, key="consent-1")
    first = await handlers.give_consent(ctx, keyed, client_id, consent(EMPLOYMENT))
    before = await position(ctx)
    again = await handlers.give_consent(ctx, replace(keyed, correlation_id="retry"), client_id,
                                        consent(EMPLOYMENT))
    assert (again.answer, again.created, again.replayed) == (first.answer, True, True)
    assert again.event_ids == first.event_ids and again.consistency == first.consistency
    assert await appended(ctx, before) == []
    other_body = replace(keyed, request_hash="another-digest")
    error = await refuses(ctx, InvalidCommand, handlers.give_consent(
        ctx, other_body, client_id, consent(EMPLOYMENT)))
    assert isinstance(error, InvalidCommand) and error.field == "Idempotency-Key"
