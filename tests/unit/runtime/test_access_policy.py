"""The access policy of DESIGN.md, one rule at a time: facts folded from referral events,
a date, an organisation and a role in; allowed with a basis or refused with a reason out."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from contracts.codes import (
    ConsentScope,
    ExitDestination,
    OrganisationKind,
    ReferralReason,
    ReferringOrgKind,
    RegionCode,
    Role,
    ServiceKind,
    Sex,
)
from contracts.events.base import Event
from contracts.events.referral import (
    CaseClosed,
    CaseOpened,
    ClientRegistered,
    ConsentGiven,
    ConsentWithdrawn,
    ReferralAccepted,
    ReferralDeclined,
    ReferralMade,
    ResponsibilityTransferred,
)
from services.runtime.access.facts import ClientFacts, fold
from services.runtime.access.policy import (
    Actor,
    Basis,
    Windows,
    may_erase,
    may_read_personal_data,
    may_read_timeline,
    may_record_consent,
    may_withdraw_consent,
    may_write_about,
    timeline_shows,
)

REGISTRAR, REFERRER, HOLDER, NEW_HOLDER, TARGET, CONSENTED, STRANGER, EMPLOYER = (
    "registrar", "referrer", "holder", "new-holder", "target", "consented", "stranger",
    "employer")
CLIENT = uuid.uuid4()
DAY0 = date(2026, 1, 10)
T0 = datetime(2026, 1, 10, 9, tzinfo=UTC)
SERVICE_KIND = OrganisationKind.WELLBEING_SERVICES


def at(days: int) -> datetime:
    return T0 + timedelta(days=days)


def actor(org: str, role: Role = Role.SOCIAL_WORKER) -> Actor:
    kind = OrganisationKind.EMPLOYER if org == EMPLOYER else SERVICE_KIND
    return Actor(org, role, kind)


def registered(days: int = 0) -> tuple[Event, str]:
    return ClientRegistered(client_id=CLIENT, birth_year=1980, sex=Sex.FEMALE,
                            home_region=RegionCode.KYMENLAAKSO, occurred_at=at(days)), REGISTRAR


def referral(referral_id: uuid.UUID, by: str | None, to: str, days: int = 0) -> tuple[Event, str]:
    kind = ReferringOrgKind.CLIENT_SELF if by is None else ReferringOrgKind.EMPLOYMENT_SERVICES
    return ReferralMade(
        referral_id=referral_id, client_id=CLIENT, referring_organisation_id=by,
        referring_org_kind=kind, target_organisation_id=to,
        target_service=ServiceKind.WORK_ABILITY_ASSESSMENT, reasons=[ReferralReason.OTHER],
        triage=None, unemployment_months=None, occurred_at=at(days)), by or to


def accepted(referral_id: uuid.UUID, case_id: uuid.UUID, by: str,
             days: int = 1) -> list[tuple[Event, str]]:
    return [
        (ReferralAccepted(referral_id=referral_id, client_id=CLIENT, case_id=case_id,
                          occurred_at=at(days)), by),
        (CaseOpened(case_id=case_id, client_id=CLIENT, organisation_id=by,
                    service=ServiceKind.WORK_ABILITY_ASSESSMENT, referral_id=referral_id,
                    responsible_worker_id=uuid.uuid4(), occurred_at=at(days)), by),
    ]


def closed(case_id: uuid.UUID, by: str, days: int) -> tuple[Event, str]:
    return CaseClosed(case_id=case_id, client_id=CLIENT, exit_destination=ExitDestination.OTHER,
                      occurred_at=at(days)), by


def consent(consent_id: uuid.UUID, orgs: list[str], by: str, days: int = 2,
            until: date | None = None,
            scope: ConsentScope = ConsentScope.DATA_SHARING) -> tuple[Event, str]:
    return ConsentGiven(client_id=CLIENT, consent_id=consent_id, scope=scope,
                        organisation_ids=orgs, valid_until=until, occurred_at=at(days)), by


def pathway() -> tuple[ClientFacts, uuid.UUID, uuid.UUID, uuid.UUID]:
    """Registered; REFERRER referred to HOLDER, who accepted; a waiting referral to TARGET;
    HOLDER recorded a data-sharing consent naming CONSENTED."""
    first, waiting, case_id, consent_id = (uuid.uuid4() for _ in range(4))
    facts = fold([registered(), referral(first, REFERRER, HOLDER), *accepted(first, case_id,
                 HOLDER), referral(waiting, HOLDER, TARGET, 2),
                 consent(consent_id, [CONSENTED], HOLDER)])
    return facts, case_id, consent_id, waiting


FACTS, CASE, CONSENT, WAITING = pathway()
TODAY = DAY0 + timedelta(days=5)


@pytest.mark.parametrize(("org", "basis"), [
    (HOLDER, Basis.INVOLVED), (REFERRER, Basis.REFERRER), (CONSENTED, Basis.CONSENT),
    (TARGET, None), (STRANGER, None), (REGISTRAR, None), (EMPLOYER, None),
])
def test_writes_about_a_client(org: str, basis: Basis | None) -> None:
    verdict = may_write_about(actor(org), FACTS, TODAY)
    assert verdict.allowed is (basis is not None)
    assert verdict.basis is basis
    if basis is None:
        assert verdict.reason


@pytest.mark.parametrize(("org", "allowed"), [
    (HOLDER, True), (REFERRER, True), (CONSENTED, False), (TARGET, False), (STRANGER, False),
    (EMPLOYER, False),
])
def test_consent_is_recorded_where_the_client_is_served_or_referred(
    org: str, allowed: bool
) -> None:
    assert may_record_consent(actor(org), FACTS, TODAY).allowed is allowed


def test_a_stranger_cannot_withdraw_a_consent_but_its_recorder_can() -> None:
    assert not may_withdraw_consent(actor(STRANGER), FACTS, CONSENT, TODAY).allowed
    assert not may_withdraw_consent(actor(CONSENTED), FACTS, CONSENT, TODAY).allowed
    assert may_withdraw_consent(actor(REFERRER), FACTS, CONSENT, TODAY).basis is Basis.REFERRER
    # Long after the case closed, the holder that recorded it may still withdraw it.
    done = fold([closed(CASE, HOLDER, 3)], FACTS)
    later = TODAY + timedelta(days=400)
    verdict = may_withdraw_consent(actor(HOLDER), done, CONSENT, later)
    assert verdict.basis is Basis.RECORDED_IT


@pytest.mark.parametrize(("org", "basis"), [
    (HOLDER, Basis.INVOLVED), (CONSENTED, Basis.CONSENT), (TARGET, Basis.TARGET),
    (REGISTRAR, Basis.REGISTRAR), (REFERRER, None), (STRANGER, None), (EMPLOYER, None),
])
def test_personal_data(org: str, basis: Basis | None) -> None:
    assert may_read_personal_data(actor(org), FACTS, TODAY).basis is basis


def test_the_registrar_reads_for_thirty_days_including_day_thirty() -> None:
    assert may_read_personal_data(actor(REGISTRAR), FACTS, DAY0 + timedelta(days=30)).allowed
    assert not may_read_personal_data(actor(REGISTRAR), FACTS,
                                      DAY0 + timedelta(days=31)).allowed


def test_a_target_reads_only_while_the_referral_waits() -> None:
    decided = fold([declined(WAITING, TARGET, 3)], FACTS)
    assert not may_read_personal_data(actor(TARGET), decided, TODAY).allowed


@pytest.mark.parametrize(("org", "allowed"), [
    (HOLDER, True), (CONSENTED, True), (TARGET, False), (REFERRER, False),
    (REGISTRAR, False), (STRANGER, False), (EMPLOYER, False),
])
def test_timeline(org: str, allowed: bool) -> None:
    assert may_read_timeline(actor(org), FACTS, TODAY).allowed is allowed


def declined(referral_id: uuid.UUID, by: str, days: int) -> tuple[Event, str]:
    return ReferralDeclined(referral_id=referral_id, client_id=CLIENT, reason="no_capacity",
                            redirected_service=None, occurred_at=at(days)), by


def test_involvement_outlives_the_case_by_the_window_including_its_last_day() -> None:
    # (HOLDER's own referral to TARGET declined: HOLDER is no longer a referrer either.)
    done = fold([declined(WAITING, TARGET, 3), closed(CASE, HOLDER, 10)], FACTS)
    closed_on = DAY0 + timedelta(days=10)
    assert may_write_about(actor(HOLDER), done, closed_on + timedelta(days=180)).allowed
    assert not may_write_about(actor(HOLDER), done, closed_on + timedelta(days=181)).allowed
    short = Windows(involvement_days=7)
    assert not may_write_about(actor(HOLDER), done, closed_on + timedelta(days=8), short).allowed


def test_the_referrer_loses_its_right_when_the_resulting_case_closes() -> None:
    done = fold([closed(CASE, HOLDER, 10)], FACTS)
    assert not may_write_about(actor(REFERRER), done, DAY0 + timedelta(days=10)).allowed
    assert may_write_about(actor(REFERRER), FACTS, DAY0 + timedelta(days=900)).allowed


def test_a_transfer_involves_the_new_holder_and_keeps_the_old_for_the_window() -> None:
    moved = fold([declined(WAITING, TARGET, 3), (ResponsibilityTransferred(
        case_id=CASE, client_id=CLIENT, from_organisation_id=HOLDER, from_worker_id=uuid.uuid4(),
        to_organisation_id=NEW_HOLDER, to_worker_id=uuid.uuid4(), occurred_at=at(20)), HOLDER)],
        FACTS)
    moved_on = DAY0 + timedelta(days=20)
    assert may_write_about(actor(NEW_HOLDER), moved, moved_on).basis is Basis.INVOLVED
    assert may_write_about(actor(HOLDER), moved, moved_on + timedelta(days=180)).allowed
    assert not may_read_timeline(actor(HOLDER), moved, moved_on + timedelta(days=181)).allowed


def test_a_consent_ends_at_withdrawal_and_after_its_last_valid_day() -> None:
    until = DAY0 + timedelta(days=30)
    consent_id = uuid.uuid4()
    facts = fold([consent(consent_id, [STRANGER], HOLDER, until=until)], FACTS)
    assert may_write_about(actor(STRANGER), facts, until).basis is Basis.CONSENT
    assert not may_write_about(actor(STRANGER), facts, until + timedelta(days=1)).allowed
    withdrawn = fold([(ConsentWithdrawn(client_id=CLIENT, consent_id=consent_id,
                                        occurred_at=at(12)), HOLDER)], facts)
    assert may_write_about(actor(STRANGER), withdrawn, DAY0 + timedelta(days=11)).allowed
    assert not may_write_about(actor(STRANGER), withdrawn, DAY0 + timedelta(days=12)).allowed


def test_a_research_consent_shares_nothing() -> None:
    facts = fold([consent(uuid.uuid4(), [], HOLDER, scope=ConsentScope.RESEARCH)],
                 fold([registered()]))
    assert not may_read_timeline(actor(HOLDER), facts, TODAY).allowed


def test_a_consent_recorded_by_the_named_organisation_itself_is_marked() -> None:
    # REFERRER referred the client to itself, accepted, recorded a consent naming itself,
    # and closed the case: after the window only its own consent is left.
    referral_id, case_id = uuid.uuid4(), uuid.uuid4()
    facts = fold([registered(), referral(referral_id, STRANGER, STRANGER),
                  *accepted(referral_id, case_id, STRANGER),
                  consent(uuid.uuid4(), [STRANGER], STRANGER), closed(case_id, STRANGER, 3)])
    later = DAY0 + timedelta(days=300)
    assert may_read_timeline(actor(STRANGER), facts, later).basis is Basis.OWN_CONSENT


@pytest.mark.parametrize("role", sorted(Role, key=lambda r: r.value))
def test_only_client_work_roles_act_on_clients(role: Role) -> None:
    non_client = {Role.ANALYST, Role.RESEARCHER, Role.ADMIN, Role.DATA_PROTECTION_OFFICER,
                  Role.INTEGRATION}
    assert may_write_about(actor(HOLDER, role), FACTS, TODAY).allowed is (role not in non_client)
    assert may_read_personal_data(actor(HOLDER, role), FACTS, TODAY).allowed is (
        role not in non_client)


def test_organisations_outside_the_registry_and_employers_have_no_rights() -> None:
    unknown = Actor("not-in-registry", Role.SOCIAL_WORKER, None)
    assert "registry" in may_write_about(unknown, FACTS, TODAY).reason
    employer = may_read_timeline(actor(EMPLOYER), FACTS, TODAY)
    assert not employer.allowed and "employer" in employer.reason


@pytest.mark.parametrize(("org", "role", "allowed"), [
    (REGISTRAR, Role.ADMIN, True), (REGISTRAR, Role.DATA_PROTECTION_OFFICER, True),
    (REGISTRAR, Role.SOCIAL_WORKER, False), (HOLDER, Role.ADMIN, False),
    (STRANGER, Role.ADMIN, False), (EMPLOYER, Role.ADMIN, False),
])
def test_erasure_by_the_registrars_admin_or_dpo_at_any_time(
    org: str, role: Role, allowed: bool
) -> None:
    assert may_erase(actor(org, role), FACTS).allowed is allowed


def test_erasure_by_the_registrars_successor() -> None:
    assert may_erase(actor(NEW_HOLDER, Role.ADMIN), FACTS, successors_of_registrar={NEW_HOLDER})


def test_timeline_shows_own_records_and_own_cases_and_everything_under_consent() -> None:
    other_case = uuid.uuid4()
    assert timeline_shows(FACTS, HOLDER, TODAY, event_actor_org=HOLDER, event_case_id=None)
    assert timeline_shows(FACTS, HOLDER, TODAY, event_actor_org=STRANGER, event_case_id=CASE)
    assert not timeline_shows(FACTS, HOLDER, TODAY, event_actor_org=STRANGER,
                              event_case_id=other_case)
    assert not timeline_shows(FACTS, HOLDER, TODAY, event_actor_org=STRANGER,
                              event_case_id=None)
    assert timeline_shows(FACTS, CONSENTED, TODAY, event_actor_org=STRANGER, event_case_id=None)


def test_the_first_registration_makes_the_registrar() -> None:
    again = fold([(registered()[0], STRANGER)], FACTS)
    assert again.registrar == REGISTRAR
