"""Fidelity review decider: exactly 25 items scored 1–5; the total is their sum."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given as for_all
from hypothesis import strategies as st

from contracts.codes import Role
from contracts.events.coaching import FIDELITY_ITEMS, FidelityReviewRecorded
from services.coaching.domain import fidelity
from services.coaching.domain.fidelity import RecordFidelityReview
from services.decider import Context, InvalidCommand, StateConflict
from tests.support.decider import context, scenario

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
REVIEW = uuid.uuid4()
REVIEWS = scenario(fidelity)


def record(scores: dict[str, int]) -> RecordFidelityReview:
    return RecordFidelityReview(scores, NOW)


def ngo() -> Context:
    return context("kymenlaakso-ngo", Role.TEAM_LEAD, new_id=REVIEW)


@for_all(st.lists(st.integers(1, 5), min_size=25, max_size=25))
def test_total_is_the_sum_of_the_25_scores(values: list[int]) -> None:
    scores = dict(zip(FIDELITY_ITEMS, values, strict=True))
    [event] = REVIEWS.when(record(scores), ngo()).decided
    assert isinstance(event, FidelityReviewRecorded)
    assert event.total == sum(values) and 25 <= event.total <= 125
    assert event.item_scores == scores and event.organisation_id == "kymenlaakso-ngo"
    assert event.review_id == REVIEW


def test_24_items_are_rejected() -> None:
    scores = {item: 3 for item in FIDELITY_ITEMS[:24]}
    REVIEWS.when(record(scores), ngo()).raises(InvalidCommand, "25")


def test_an_unknown_item_is_rejected() -> None:
    scores = {**{item: 3 for item in FIDELITY_ITEMS[:24]}, "26": 3}
    REVIEWS.when(record(scores), ngo()).raises(InvalidCommand)


@pytest.mark.parametrize("bad", [0, 6, True])
def test_scores_outside_1_to_5_are_rejected(bad: int) -> None:
    scores = {**{item: 3 for item in FIDELITY_ITEMS}, "7": bad}
    error = REVIEWS.when(record(scores), ngo()).raises(InvalidCommand)
    assert isinstance(error, InvalidCommand) and error.field == "item_scores.7"


def test_a_review_is_recorded_once() -> None:
    [event] = REVIEWS.when(record(dict.fromkeys(FIDELITY_ITEMS, 4)), ngo()).decided
    recorded = REVIEWS.given(event)
    assert recorded.state.total == 100
    recorded.when(record(dict.fromkeys(FIDELITY_ITEMS, 4)), ngo()).raises(StateConflict)
