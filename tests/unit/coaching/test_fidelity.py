"""Fidelity review decider: exactly 25 items scored 1–5; the total is their sum."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given as for_all
from hypothesis import strategies as st

from contracts.events.coaching import FIDELITY_ITEMS, FidelityReviewRecorded
from services.coaching.domain import CommandRejected, InvalidCommand
from services.coaching.domain.fidelity import (
    RecordFidelityReview,
    decide,
    evolve,
    initial_state,
)

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
REVIEW = uuid.uuid4()


def record(scores: dict[str, int]) -> RecordFidelityReview:
    return RecordFidelityReview(REVIEW, "kymenlaakso-ngo", scores, NOW)


@for_all(st.lists(st.integers(1, 5), min_size=25, max_size=25))
def test_total_is_the_sum_of_the_25_scores(values: list[int]) -> None:
    scores = dict(zip(FIDELITY_ITEMS, values, strict=True))
    [event] = decide(record(scores), initial_state)
    assert isinstance(event, FidelityReviewRecorded)
    assert event.total == sum(values) and 25 <= event.total <= 125
    assert event.item_scores == scores and event.organisation_id == "kymenlaakso-ngo"


def test_24_items_are_rejected() -> None:
    scores = {item: 3 for item in FIDELITY_ITEMS[:24]}
    with pytest.raises(InvalidCommand, match="25"):
        decide(record(scores), initial_state)


def test_an_unknown_item_is_rejected() -> None:
    scores = {**{item: 3 for item in FIDELITY_ITEMS[:24]}, "26": 3}
    with pytest.raises(InvalidCommand):
        decide(record(scores), initial_state)


@pytest.mark.parametrize("bad", [0, 6, True])
def test_scores_outside_1_to_5_are_rejected(bad: int) -> None:
    scores = {**{item: 3 for item in FIDELITY_ITEMS}, "7": bad}
    with pytest.raises(InvalidCommand) as raised:
        decide(record(scores), initial_state)
    assert raised.value.field == "item_scores.7"


def test_a_review_is_recorded_once() -> None:
    [event] = decide(record(dict.fromkeys(FIDELITY_ITEMS, 4)), initial_state)
    state = evolve(initial_state, event)
    assert state.total == 100
    with pytest.raises(CommandRejected):
        decide(record(dict.fromkeys(FIDELITY_ITEMS, 4)), state)
