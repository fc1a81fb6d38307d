"""Health checks and consultations: recorded once, with the caller's organisation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from contracts.codes import ConsultationTopic, OrganisationKind, Role
from contracts.commands.assessment import CompleteHealthCheck, GiveConsultation
from contracts.events.assessment import ConsultationGiven, HealthCheckCompleted
from services.assessment.domain import consultation, health_check
from services.assessment.domain.errors import Conflict, Rejected

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
CLIENT = uuid.uuid4()
HEALTH_CHECK = uuid.uuid4()
CONSULTATION = uuid.uuid4()
REGISTRY = {"kymenlaakso-sote", "kymenlaakso-kela"}
REQUESTER = consultation.Requester("kymenlaakso-sote", OrganisationKind.WELLBEING_SERVICES,
                                   Role.NURSE)


def test_a_health_check_is_completed_by_the_callers_organisation() -> None:
    command = CompleteHealthCheck(client_id=CLIENT, further_assessment_needed=True)
    events = health_check.decide(command, health_check.initial_state,
                                 health_check_id=HEALTH_CHECK,
                                 organisation_id="kymenlaakso-sote", now=NOW)
    assert events == [HealthCheckCompleted(
        health_check_id=HEALTH_CHECK, client_id=CLIENT, organisation_id="kymenlaakso-sote",
        further_assessment_needed=True, occurred_at=NOW,
    )]
    state = health_check.evolve(health_check.initial_state, events[0])
    with pytest.raises(Conflict):
        health_check.decide(command, state, health_check_id=HEALTH_CHECK,
                            organisation_id="kymenlaakso-sote", now=NOW)


def consult(command: GiveConsultation,
            state: consultation.Consultation = consultation.initial_state
            ) -> list[ConsultationGiven]:
    return consultation.decide(  # type: ignore[return-value]
        command, state, consultation_id=CONSULTATION, requester=REQUESTER,
        organisations=REGISTRY, now=NOW)


def test_a_consultation_records_who_asked_whom() -> None:
    command = GiveConsultation(client_id=CLIENT, consultant_organisation_id="kymenlaakso-kela",
                               consultant_role=Role.KELA_EXPERT, topic=ConsultationTopic.BENEFITS)
    assert consult(command) == [ConsultationGiven(
        consultation_id=CONSULTATION, client_id=CLIENT,
        requesting_organisation_id="kymenlaakso-sote",
        requesting_org_kind=OrganisationKind.WELLBEING_SERVICES, requester_role=Role.NURSE,
        consultant_organisation_id="kymenlaakso-kela", consultant_role=Role.KELA_EXPERT,
        topic=ConsultationTopic.BENEFITS, occurred_at=NOW,
    )]


def test_a_consultation_without_a_client() -> None:
    command = GiveConsultation(consultant_organisation_id="kymenlaakso-kela",
                               consultant_role=Role.KELA_EXPERT, topic=ConsultationTopic.OTHER)
    [event] = consult(command)
    assert event.client_id is None and event.client_key is None


def test_the_consultant_organisation_is_in_the_registry() -> None:
    command = GiveConsultation(consultant_organisation_id="atlantis-sote",
                               consultant_role=Role.DOCTOR, topic=ConsultationTopic.OTHER)
    with pytest.raises(Rejected) as error:
        consult(command)
    assert error.value.field == "consultant_organisation_id"


def test_a_consultation_is_recorded_once() -> None:
    command = GiveConsultation(consultant_organisation_id="kymenlaakso-kela",
                               consultant_role=Role.KELA_EXPERT, topic=ConsultationTopic.OTHER)
    state = consultation.evolve(consultation.initial_state, consult(command)[0])
    with pytest.raises(Conflict):
        consult(command, state)
