"""Engagement decider: given events, when a command, then events or a rejection."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import reduce

import pytest

from contracts.codes import EmployerContactPurpose, ExitDestination
from contracts.events.base import Event
from contracts.events.coaching import (
    CoachingEnded,
    CoachingStarted,
    EmployerContacted,
    VocationalProfileCompleted,
)
from services.coaching.domain import CommandRejected
from services.coaching.domain.engagement import (
    CompleteVocationalProfile,
    ContactEmployer,
    EndCoaching,
    Engagement,
    StartCoaching,
    decide,
    evolve,
    initial_state,
)

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
ENGAGEMENT, CLIENT, COACH, CASE = (uuid.uuid4() for _ in range(4))
STARTED = CoachingStarted(
    engagement_id=ENGAGEMENT, client_id=CLIENT, organisation_id="kymenlaakso-ngo",
    coach_id=COACH, case_id=CASE, occurred_at=NOW,
)
ENDED = CoachingEnded(engagement_id=ENGAGEMENT, client_id=CLIENT,
                      outcome=ExitDestination.EMPLOYMENT, occurred_at=NOW)


def given(*events: Event) -> Engagement:
    return reduce(evolve, events, initial_state)


def test_start_on_no_engagement_starts_it() -> None:
    command = StartCoaching(ENGAGEMENT, CLIENT, "kymenlaakso-ngo", COACH, CASE, NOW)
    assert decide(command, given()) == [STARTED]


def test_start_without_a_case() -> None:
    command = StartCoaching(ENGAGEMENT, CLIENT, "kymenlaakso-ngo", COACH, None, NOW)
    [event] = decide(command, given())
    assert isinstance(event, CoachingStarted) and event.case_id is None


def test_an_engagement_starts_once() -> None:
    command = StartCoaching(ENGAGEMENT, CLIENT, "kymenlaakso-ngo", COACH, CASE, NOW)
    with pytest.raises(CommandRejected, match="already started"):
        decide(command, given(STARTED))


def test_vocational_profile() -> None:
    assert decide(CompleteVocationalProfile(NOW), given(STARTED)) == [
        VocationalProfileCompleted(engagement_id=ENGAGEMENT, client_id=CLIENT, occurred_at=NOW)
    ]


def test_employer_contact() -> None:
    command = ContactEmployer("kymenlaakso-employer-1", EmployerContactPurpose.JOB_TAILORING,
                              NOW)
    assert decide(command, given(STARTED)) == [EmployerContacted(
        engagement_id=ENGAGEMENT, client_id=CLIENT, employer_id="kymenlaakso-employer-1",
        purpose=EmployerContactPurpose.JOB_TAILORING, occurred_at=NOW,
    )]


def test_end() -> None:
    assert decide(EndCoaching(ExitDestination.EMPLOYMENT, NOW), given(STARTED)) == [ENDED]


@pytest.mark.parametrize("command", [
    CompleteVocationalProfile(NOW),
    ContactEmployer("kymenlaakso-employer-1", EmployerContactPurpose.JOB_SEARCH, NOW),
    EndCoaching(ExitDestination.OTHER, NOW),
])
def test_an_ended_engagement_takes_no_commands(command: object) -> None:
    with pytest.raises(CommandRejected, match="has ended"):
        decide(command, given(STARTED, ENDED))  # type: ignore[arg-type]


@pytest.mark.parametrize("command", [
    CompleteVocationalProfile(NOW), EndCoaching(ExitDestination.OTHER, NOW),
])
def test_commands_need_a_started_engagement(command: object) -> None:
    with pytest.raises(CommandRejected, match="not started"):
        decide(command, given())  # type: ignore[arg-type]


def test_evolve_keeps_what_authorisation_needs() -> None:
    state = given(STARTED, VocationalProfileCompleted(
        engagement_id=ENGAGEMENT, client_id=CLIENT, occurred_at=NOW))
    assert state.organisation_id == "kymenlaakso-ngo" and state.client_id == CLIENT
    assert state.profile_completed and not state.ended
    assert given(STARTED, ENDED).ended
