"""The IPS fidelity review of a coaching team: exactly 25 items scored 1–5, total = their sum."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from contracts.events.base import Event
from contracts.events.coaching import FIDELITY_ITEMS, FidelityReviewRecorded
from services.decider import Context, InvalidCommand, StateConflict


@dataclass(frozen=True)
class FidelityReview:
    review_id: UUID | None = None
    total: int | None = None


initial_state = FidelityReview()


@dataclass(frozen=True)
class RecordFidelityReview:
    """Record the review whose id is the context's `new_id`, of the caller's organisation."""

    item_scores: Mapping[str, int]
    occurred_at: datetime


def decide(command: RecordFidelityReview, state: FidelityReview, ctx: Context) -> list[Event]:
    if state.review_id is not None:
        raise StateConflict(f"fidelity review {state.review_id} is already recorded")
    scores = command.item_scores
    if set(scores) != set(FIDELITY_ITEMS):
        missing = sorted(set(FIDELITY_ITEMS) - set(scores), key=int)
        unknown = sorted(set(scores) - set(FIDELITY_ITEMS))
        raise InvalidCommand(
            "item_scores",
            f"exactly the 25 items '1'..'25' are scored (missing {missing}, unknown {unknown})",
        )
    for item, score in scores.items():
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise InvalidCommand(f"item_scores.{item}", "a score is an integer 1–5")
    ordered = {item: scores[item] for item in FIDELITY_ITEMS}
    return [FidelityReviewRecorded(
        review_id=ctx.require_new_id(), organisation_id=ctx.actor_org,
        item_scores=ordered,
        total=sum(ordered.values()), occurred_at=command.occurred_at,
    )]


def evolve(state: FidelityReview, event: Event) -> FidelityReview:
    if isinstance(event, FidelityReviewRecorded):
        return FidelityReview(review_id=event.review_id, total=event.total)
    return state
