"""Placement decider: started within an open engagement of the same client (or none),
followed along, ended exactly once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import reduce

import pytest

from contracts.codes import FollowAlongMode, PlacementEndReason, PlacementKind
from contracts.events.base import Event
from contracts.events.coaching import (
    FollowAlongSupportGiven,
    PlacementEnded,
    PlacementStarted,
)
from services.coaching.domain import CommandRejected, InvalidCommand
from services.coaching.domain.engagement import Engagement
from services.coaching.domain.placement import (
    EndPlacement,
    GiveFollowAlongSupport,
    Placement,
    StartPlacement,
    decide,
    evolve,
    initial_state,
)

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


def given(*events: Event) -> Placement:
    return reduce(evolve, events, initial_state)


def start(engagement: Engagement | None = OPEN, client: uuid.UUID = CLIENT) -> StartPlacement:
    return StartPlacement(PLACEMENT, client, "kymenlaakso-employer-2", PlacementKind.WORK_TRIAL,
                          20, False, NOW, engagement)


def test_start_within_an_open_engagement() -> None:
    assert decide(start(), given()) == [STARTED]


def test_start_without_an_engagement() -> None:
    [event] = decide(start(engagement=None), given())
    assert isinstance(event, PlacementStarted) and event.engagement_id is None


def test_the_engagement_must_be_the_clients() -> None:
    with pytest.raises(InvalidCommand) as raised:
        decide(start(client=uuid.uuid4()), given())
    assert raised.value.field == "engagement_id"


def test_an_ended_engagement_takes_no_placement() -> None:
    from dataclasses import replace

    with pytest.raises(CommandRejected, match="has ended"):
        decide(start(engagement=replace(OPEN, ended=True)), given())


def test_a_placement_starts_once() -> None:
    with pytest.raises(CommandRejected, match="already started"):
        decide(start(), given(STARTED))


def test_follow_along() -> None:
    assert decide(GiveFollowAlongSupport(FollowAlongMode.WORKPLACE_VISIT, NOW),
                  given(STARTED)) == [FollowAlongSupportGiven(
        placement_id=PLACEMENT, client_id=CLIENT, mode=FollowAlongMode.WORKPLACE_VISIT,
        occurred_at=NOW)]


def test_end() -> None:
    assert decide(EndPlacement(PlacementEndReason.ENDED_AS_AGREED, NOW), given(STARTED)) == [
        ENDED]


def test_a_placement_ends_once() -> None:
    with pytest.raises(CommandRejected, match="ends once"):
        decide(EndPlacement(PlacementEndReason.OTHER, NOW), given(STARTED, ENDED))


def test_no_follow_along_after_the_end() -> None:
    with pytest.raises(CommandRejected, match="has ended"):
        decide(GiveFollowAlongSupport(FollowAlongMode.PHONE, NOW), given(STARTED, ENDED))


def test_commands_need_a_started_placement() -> None:
    with pytest.raises(CommandRejected, match="not started"):
        decide(EndPlacement(PlacementEndReason.OTHER, NOW), given())
