"""Health checks and consultations: recorded once, with the caller's organisation."""

from __future__ import annotations

import uuid

from contracts.codes import ConsultationTopic, OrganisationKind, Role
from contracts.commands.assessment import CompleteHealthCheck, GiveConsultation
from contracts.events.assessment import ConsultationGiven, HealthCheckCompleted
from services.assessment.domain import consultation, health_check
from services.decider import InvalidCommand, NotPermitted, StateConflict
from tests.support.decider import NOW, context, scenario

CLIENT = uuid.uuid4()
HEALTH_CHECK = uuid.uuid4()
CONSULTATION = uuid.uuid4()
SOTE, KELA = "kymenlaakso-sote", "kymenlaakso-kela"
NURSE = context(SOTE, Role.NURSE, new_id=CONSULTATION)
a_consultation = scenario(consultation)


def test_a_health_check_is_completed_by_the_callers_organisation() -> None:
    command = CompleteHealthCheck(client_id=CLIENT, further_assessment_needed=True)
    completed = HealthCheckCompleted(
        health_check_id=HEALTH_CHECK, client_id=CLIENT, organisation_id=SOTE,
        further_assessment_needed=True, occurred_at=NOW,
    )
    ctx = context(SOTE, Role.NURSE, new_id=HEALTH_CHECK)
    scenario(health_check).when(command, ctx).then(completed)
    scenario(health_check).given(completed).when(command, ctx).raises(
        StateConflict, "already completed")


def test_a_consultation_records_who_asked_whom() -> None:
    command = GiveConsultation(client_id=CLIENT, consultant_organisation_id=KELA,
                               consultant_role=Role.KELA_EXPERT, topic=ConsultationTopic.BENEFITS)
    a_consultation.when(command, NURSE).then(ConsultationGiven(
        consultation_id=CONSULTATION, client_id=CLIENT, requesting_organisation_id=SOTE,
        requesting_org_kind=OrganisationKind.WELLBEING_SERVICES, requester_role=Role.NURSE,
        consultant_organisation_id=KELA, consultant_role=Role.KELA_EXPERT,
        topic=ConsultationTopic.BENEFITS, occurred_at=NOW,
    ))


def test_a_consultation_without_a_client() -> None:
    command = GiveConsultation(consultant_organisation_id=KELA,
                               consultant_role=Role.KELA_EXPERT, topic=ConsultationTopic.OTHER)
    [event] = a_consultation.when(command, NURSE).decided
    assert isinstance(event, ConsultationGiven)
    assert event.client_id is None and event.client_key is None


def test_the_consultant_organisation_is_in_the_registry() -> None:
    command = GiveConsultation(consultant_organisation_id="atlantis-sote",
                               consultant_role=Role.DOCTOR, topic=ConsultationTopic.OTHER)
    error = a_consultation.when(command, NURSE).raises(InvalidCommand)
    assert isinstance(error, InvalidCommand) and error.field == "consultant_organisation_id"


def test_the_requester_is_an_organisation_of_the_registry() -> None:
    command = GiveConsultation(consultant_organisation_id=KELA,
                               consultant_role=Role.KELA_EXPERT, topic=ConsultationTopic.OTHER)
    a_consultation.when(command, context("atlantis-sote", Role.NURSE)).raises(
        NotPermitted, "not in the organisation registry")


def test_a_consultation_is_recorded_once() -> None:
    command = GiveConsultation(consultant_organisation_id=KELA,
                               consultant_role=Role.KELA_EXPERT, topic=ConsultationTopic.OTHER)
    given = a_consultation.given(*a_consultation.when(command, NURSE).decided)
    given.when(command, NURSE).raises(StateConflict, "already recorded")
