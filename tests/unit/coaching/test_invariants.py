"""Decide/evolve invariants over arbitrary command sequences: whatever a client of the API
sends, an engagement and a placement end at most once and take nothing after the end."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from contracts.codes import (
    EmployerContactPurpose,
    ExitDestination,
    FollowAlongMode,
    PlacementEndReason,
    PlacementKind,
    Role,
)
from contracts.events.coaching import CoachingEnded, PlacementEnded
from services.coaching.domain import engagement, placement
from services.decider import Context
from tests.support.decider import context, invariants

NOW = datetime(2025, 3, 1, tzinfo=UTC)
CLIENT = uuid.uuid4()

engagement_commands = st.lists(st.one_of(
    st.builds(engagement.StartCoaching, st.just(CLIENT), st.just("kymenlaakso-ngo"),
              st.uuids(), st.none() | st.uuids(), st.just(NOW)),
    st.builds(engagement.CompleteVocationalProfile, st.just(NOW)),
    st.builds(engagement.ContactEmployer, st.just("kymenlaakso-employer-1"),
              st.sampled_from(EmployerContactPurpose), st.just(NOW)),
    st.builds(engagement.EndCoaching, st.sampled_from(ExitDestination), st.just(NOW)),
), max_size=12)

placement_commands = st.lists(st.one_of(
    st.builds(placement.StartPlacement, st.just(CLIENT),
              st.just("kymenlaakso-employer-1"), st.sampled_from(PlacementKind),
              st.none() | st.floats(0, 80), st.booleans(), st.just(NOW)),
    st.builds(placement.GiveFollowAlongSupport, st.sampled_from(FollowAlongMode), st.just(NOW)),
    st.builds(placement.EndPlacement, st.sampled_from(PlacementEndReason), st.just(NOW)),
), max_size=12)


def coach() -> Context:
    return context("kymenlaakso-ngo", Role.JOB_COACH)


@given(engagement_commands)
def test_an_engagement_ends_at_most_once_and_nothing_follows(commands: list[Any]) -> None:
    _, events = invariants(engagement, commands, coach)
    ends = [i for i, e in enumerate(events) if isinstance(e, CoachingEnded)]
    assert len(ends) <= 1
    if ends:
        assert ends[0] == len(events) - 1
    assert sum(e.event_type == "CoachingStarted" for e in events) <= 1
    assert all(e.model_dump()["client_id"] == CLIENT for e in events)


@given(placement_commands)
def test_a_placement_ends_at_most_once_and_nothing_follows(commands: list[Any]) -> None:
    _, events = invariants(placement, commands, coach)
    ends = [i for i, e in enumerate(events) if isinstance(e, PlacementEnded)]
    assert len(ends) <= 1
    if ends:
        assert ends[0] == len(events) - 1
    if events:
        assert events[0].event_type == "PlacementStarted"
