"""Command bodies of the coaching service's HTTP API (API.md)."""

from typing import Annotated
from uuid import UUID

from pydantic import Field

from contracts.codes import (
    EmployerContactPurpose,
    ExitDestination,
    FollowAlongMode,
    PlacementEndReason,
    PlacementKind,
)
from contracts.commands.base import Command
from contracts.events.base import OrganisationId
from contracts.events.coaching import FidelityItem

# Strict: a number of hours or an item score is a JSON number, never `true` or `"3"`.
StrictItemScores = Annotated[
    dict[FidelityItem, Annotated[int, Field(ge=1, le=5, strict=True)]],
    Field(min_length=25, max_length=25),
]
"""IPS fidelity scale: every item "1".."25" scored 1–5 (ItemScores of the event, strict)."""


class StartCoaching(Command):
    client_id: UUID
    case_id: UUID | None = None
    coach_id: UUID


class CompleteVocationalProfile(Command):
    pass


class ContactEmployer(Command):
    employer_id: OrganisationId
    purpose: EmployerContactPurpose


class EndCoaching(Command):
    outcome: ExitDestination


class StartPlacement(Command):
    client_id: UUID
    engagement_id: UUID | None = None
    employer_id: OrganisationId
    kind: PlacementKind
    hours_per_week: Annotated[
        float, Field(ge=0, le=80, strict=True, allow_inf_nan=False)
    ] | None = None
    wage_subsidy: bool = False


class GiveFollowAlongSupport(Command):
    mode: FollowAlongMode


class EndPlacement(Command):
    reason: PlacementEndReason


class RecordFidelityReview(Command):
    """The total is computed by the service, so it is not part of the body."""

    item_scores: StrictItemScores
