"""Engagement decider: given events, when a command, then events or a typed refusal."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from contracts.codes import EmployerContactPurpose, ExitDestination, Role
from contracts.events.coaching import (
    CoachingEnded,
    CoachingStarted,
    EmployerContacted,
    VocationalProfileCompleted,
)
from services.coaching.domain import engagement
from services.coaching.domain.engagement import (
    CompleteVocationalProfile,
    ContactEmployer,
    EndCoaching,
    StartCoaching,
)
from services.decider import Context, StateConflict
from tests.support.decider import context, scenario

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
NGO = "kymenlaakso-ngo"
ENGAGEMENT, CLIENT, COACH, CASE = (uuid.uuid4() for _ in range(4))
STARTED = CoachingStarted(
    engagement_id=ENGAGEMENT, client_id=CLIENT, organisation_id=NGO,
    coach_id=COACH, case_id=CASE, occurred_at=NOW,
)
ENDED = CoachingEnded(engagement_id=ENGAGEMENT, client_id=CLIENT,
                      outcome=ExitDestination.EMPLOYMENT, occurred_at=NOW)
ENGAGEMENTS = scenario(engagement)


def coach(new_id: uuid.UUID | None = None) -> Context:
    return context(NGO, Role.JOB_COACH, new_id=new_id)


def test_start_on_no_engagement_starts_it() -> None:
    command = StartCoaching(CLIENT, NGO, COACH, CASE, NOW)
    ENGAGEMENTS.when(command, coach(ENGAGEMENT)).then(STARTED)


def test_start_without_a_case() -> None:
    command = StartCoaching(CLIENT, NGO, COACH, None, NOW)
    [event] = ENGAGEMENTS.when(command, coach(ENGAGEMENT)).decided
    assert isinstance(event, CoachingStarted) and event.case_id is None


def test_an_engagement_starts_once() -> None:
    command = StartCoaching(CLIENT, NGO, COACH, CASE, NOW)
    ENGAGEMENTS.given(STARTED).when(command, coach(ENGAGEMENT)).raises(
        StateConflict, "already started")


def test_vocational_profile() -> None:
    ENGAGEMENTS.given(STARTED).when(CompleteVocationalProfile(NOW), coach()).then(
        VocationalProfileCompleted(engagement_id=ENGAGEMENT, client_id=CLIENT, occurred_at=NOW))


def test_employer_contact() -> None:
    command = ContactEmployer("kymenlaakso-employer-1", EmployerContactPurpose.JOB_TAILORING,
                              NOW)
    ENGAGEMENTS.given(STARTED).when(command, coach()).then(EmployerContacted(
        engagement_id=ENGAGEMENT, client_id=CLIENT, employer_id="kymenlaakso-employer-1",
        purpose=EmployerContactPurpose.JOB_TAILORING, occurred_at=NOW,
    ))


def test_end() -> None:
    ENGAGEMENTS.given(STARTED).when(EndCoaching(ExitDestination.EMPLOYMENT, NOW), coach()).then(
        ENDED)


@pytest.mark.parametrize("command", [
    CompleteVocationalProfile(NOW),
    ContactEmployer("kymenlaakso-employer-1", EmployerContactPurpose.JOB_SEARCH, NOW),
    EndCoaching(ExitDestination.OTHER, NOW),
])
def test_an_ended_engagement_takes_no_commands(command: object) -> None:
    ENGAGEMENTS.given(STARTED, ENDED).when(command, coach()).raises(StateConflict, "has ended")


@pytest.mark.parametrize("command", [
    CompleteVocationalProfile(NOW), EndCoaching(ExitDestination.OTHER, NOW),
])
def test_commands_need_a_started_engagement(command: object) -> None:
    ENGAGEMENTS.when(command, coach()).raises(StateConflict, "not started")


def test_evolve_keeps_what_authorisation_needs() -> None:
    state = ENGAGEMENTS.given(STARTED, VocationalProfileCompleted(
        engagement_id=ENGAGEMENT, client_id=CLIENT, occurred_at=NOW)).state
    assert state.organisation_id == NGO and state.client_id == CLIENT
    assert state.profile_completed and not state.ended
    assert ENGAGEMENTS.given(STARTED, ENDED).state.ended
