"""Placement decider: started within an open engagement of the same client (or none),
followed along, ended exactly once."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

from contracts.codes import FollowAlongMode, PlacementEndReason, PlacementKind, Role
from contracts.events.coaching import (
    FollowAlongSupportGiven,
    PlacementEnded,
    PlacementStarted,
)
from services.coaching.domain import placement
from services.coaching.domain.engagement import Engagement
from services.coaching.domain.placement import (
    EndPlacement,
    GiveFollowAlongSupport,
    StartPlacement,
)
from services.decider import Context, InvalidCommand, StateConflict
from tests.support.decider import context, scenario

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
PLACEMENT, ENGAGEMENT, CLIENT = (uuid.uuid4() for _ in range(3))
OPEN = Engagement(engagement_id=ENGAGEMENT, client_id=CLIENT, organisation_id="kymenlaakso-ngo")
STARTED = PlacementStarted(
    placement_id=PLACEMENT, engagement_id=ENGAGEMENT, client_id=CLIENT,
    employer_id="kymenlaakso-employer-2", kind=PlacementKind.WORK_TRIAL, hours_per_week=20,
    wage_subsidy=False, occurred_at=NOW,
)
ENDED = PlacementEnded(placement_id=PLACEMENT, client_id=CLIENT,
                       reason=PlacementEndReason.ENDED_AS_AGREED, occurred_at=NOW)
PLACEMENTS = scenario(placement)


def start(client: uuid.UUID = CLIENT) -> StartPlacement:
    return StartPlacement(client, "kymenlaakso-employer-2", PlacementKind.WORK_TRIAL, 20, False,
                          NOW)


def within(engagement: Engagement | None = OPEN) -> Context:
    """The coach's context, with the engagement the placement belongs to as loaded."""
    return context("kymenlaakso-ngo", Role.JOB_COACH, new_id=PLACEMENT, engagement=engagement)


def test_start_within_an_open_engagement() -> None:
    PLACEMENTS.when(start(), within()).then(STARTED)


def test_start_without_an_engagement() -> None:
    [event] = PLACEMENTS.when(start(), within(None)).decided
    assert isinstance(event, PlacementStarted) and event.engagement_id is None


def test_the_engagement_must_be_the_clients() -> None:
    error = PLACEMENTS.when(start(client=uuid.uuid4()), within()).raises(InvalidCommand)
    assert isinstance(error, InvalidCommand) and error.field == "engagement_id"


def test_an_ended_engagement_takes_no_placement() -> None:
    PLACEMENTS.when(start(), within(replace(OPEN, ended=True))).raises(StateConflict, "has ended")


def test_a_placement_starts_once() -> None:
    PLACEMENTS.given(STARTED).when(start(), within()).raises(StateConflict, "already started")


def test_follow_along() -> None:
    PLACEMENTS.given(STARTED).when(
        GiveFollowAlongSupport(FollowAlongMode.WORKPLACE_VISIT, NOW), within(),
    ).then(FollowAlongSupportGiven(
        placement_id=PLACEMENT, client_id=CLIENT, mode=FollowAlongMode.WORKPLACE_VISIT,
        occurred_at=NOW))


def test_end() -> None:
    PLACEMENTS.given(STARTED).when(
        EndPlacement(PlacementEndReason.ENDED_AS_AGREED, NOW), within()).then(ENDED)


def test_a_placement_ends_once() -> None:
    PLACEMENTS.given(STARTED, ENDED).when(
        EndPlacement(PlacementEndReason.OTHER, NOW), within()).raises(StateConflict, "ends once")


def test_no_follow_along_after_the_end() -> None:
    PLACEMENTS.given(STARTED, ENDED).when(
        GiveFollowAlongSupport(FollowAlongMode.PHONE, NOW), within(),
    ).raises(StateConflict, "has ended")


def test_commands_need_a_started_placement() -> None:
    PLACEMENTS.when(EndPlacement(PlacementEndReason.OTHER, NOW), within()).raises(
        StateConflict, "not started")
