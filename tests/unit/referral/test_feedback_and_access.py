"""Feedback decider and the personal-data access rule."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from contracts.codes import RegionCode, Sex
from contracts.codes import ServiceKind as SK
from contracts.commands.referral import GiveFeedback
from contracts.events.referral import (
    ClientFeedbackGiven,
    ClientRegistered,
)
from services.decider import InvalidCommand, StateConflict, UnknownAggregate
from services.referral.domain import client, feedback
from tests.unit.referral.builders import NOW, SOTE, context, given

CLIENT_ID, FEEDBACK_ID = uuid.uuid4(), uuid.uuid4()
CLIENT = given(client.initial_state, client.evolve, [ClientRegistered(
    client_id=CLIENT_ID, birth_year=1975, sex=Sex.MALE, home_region=RegionCode.PIRKANMAA,
    occurred_at=NOW)])


def feedback_body(**changes: object) -> GiveFeedback:
    return GiveFeedback.model_validate({"organisation_id": SOTE, "service": "job_coaching",
                                        "score": 9, "felt_heard": True, **changes})


def test_anonymous_feedback() -> None:
    assert feedback.decide(feedback_body(), feedback.initial_state,
                           context(new_id=FEEDBACK_ID)) == [ClientFeedbackGiven(
        feedback_id=FEEDBACK_ID, client_id=None, organisation_id=SOTE, service=SK.JOB_COACHING,
        score=9, felt_heard=True, helped=None, occurred_at=NOW)]


def test_feedback_about_a_known_client() -> None:
    [event] = feedback.decide(feedback_body(client_id=str(CLIENT_ID)), feedback.initial_state,
                              context(client=CLIENT))
    assert isinstance(event, ClientFeedbackGiven) and event.client_id == CLIENT_ID


def test_feedback_about_an_unknown_client() -> None:
    with pytest.raises(UnknownAggregate):
        feedback.decide(feedback_body(client_id=str(uuid.uuid4())), feedback.initial_state,
                        context(client=client.initial_state))


def test_feedback_for_unknown_organisation() -> None:
    with pytest.raises(InvalidCommand):
        feedback.decide(feedback_body(organisation_id="atlantis"), feedback.initial_state,
                        context())


def test_feedback_stream_is_written_once() -> None:
    state = feedback.evolve(feedback.initial_state, ClientFeedbackGiven(
        feedback_id=FEEDBACK_ID, client_id=None, organisation_id=SOTE, service=SK.JOB_COACHING,
        score=9, felt_heard=None, helped=None, occurred_at=NOW))
    with pytest.raises(StateConflict):
        feedback.decide(feedback_body(), state, context())


@pytest.mark.parametrize("score", [-1, 11, 3.5, "eleven", None])
def test_score_out_of_range(score: object) -> None:
    with pytest.raises(ValidationError):
        feedback_body(score=score)
