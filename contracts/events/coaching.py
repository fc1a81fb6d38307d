"""Events of the coaching service, published on `polku.coaching.v1` (EVENTS.md)."""

from typing import Annotated, ClassVar, Literal, Self
from uuid import UUID

from pydantic import Field, model_validator

from contracts.codes import (
    EmployerContactPurpose,
    ExitDestination,
    FollowAlongMode,
    PlacementEndReason,
    PlacementKind,
)
from contracts.events.base import Event, OrganisationId

FidelityItem = Literal[
    "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13",
    "14", "15", "16", "17", "18", "19", "20", "21", "22", "23", "24", "25",
]  # fmt: skip
FIDELITY_ITEMS: tuple[str, ...] = tuple(str(item) for item in range(1, 26))

ItemScores = Annotated[
    dict[FidelityItem, Annotated[int, Field(ge=1, le=5)]],
    Field(min_length=25, max_length=25),
]
"""IPS fidelity scale: every item "1".."25" scored 1–5."""


class CoachingStarted(Event):
    event_type: ClassVar[str] = "CoachingStarted"
    stream_kind: ClassVar[str] = "engagement"
    stream_id_field: ClassVar[str] = "engagement_id"

    engagement_id: UUID
    client_id: UUID
    organisation_id: OrganisationId
    coach_id: UUID
    case_id: UUID | None


class VocationalProfileCompleted(Event):
    event_type: ClassVar[str] = "VocationalProfileCompleted"
    stream_kind: ClassVar[str] = "engagement"
    stream_id_field: ClassVar[str] = "engagement_id"

    engagement_id: UUID
    client_id: UUID


class EmployerContacted(Event):
    event_type: ClassVar[str] = "EmployerContacted"
    stream_kind: ClassVar[str] = "engagement"
    stream_id_field: ClassVar[str] = "engagement_id"

    engagement_id: UUID
    client_id: UUID
    employer_id: OrganisationId
    purpose: EmployerContactPurpose


class PlacementStarted(Event):
    event_type: ClassVar[str] = "PlacementStarted"
    stream_kind: ClassVar[str] = "placement"
    stream_id_field: ClassVar[str] = "placement_id"

    placement_id: UUID
    engagement_id: UUID | None
    client_id: UUID
    employer_id: OrganisationId
    kind: PlacementKind
    hours_per_week: Annotated[float, Field(ge=0, le=168, allow_inf_nan=False)] | None
    wage_subsidy: bool


class FollowAlongSupportGiven(Event):
    event_type: ClassVar[str] = "FollowAlongSupportGiven"
    stream_kind: ClassVar[str] = "placement"
    stream_id_field: ClassVar[str] = "placement_id"

    placement_id: UUID
    client_id: UUID
    mode: FollowAlongMode


class PlacementEnded(Event):
    event_type: ClassVar[str] = "PlacementEnded"
    stream_kind: ClassVar[str] = "placement"
    stream_id_field: ClassVar[str] = "placement_id"

    placement_id: UUID
    client_id: UUID
    reason: PlacementEndReason


class CoachingEnded(Event):
    event_type: ClassVar[str] = "CoachingEnded"
    stream_kind: ClassVar[str] = "engagement"
    stream_id_field: ClassVar[str] = "engagement_id"

    engagement_id: UUID
    client_id: UUID
    outcome: ExitDestination


class FidelityReviewRecorded(Event):
    event_type: ClassVar[str] = "FidelityReviewRecorded"
    stream_kind: ClassVar[str] = "fidelity"
    stream_id_field: ClassVar[str] = "review_id"

    review_id: UUID
    organisation_id: OrganisationId
    item_scores: ItemScores
    total: Annotated[int, Field(ge=25, le=125)]

    @model_validator(mode="after")
    def _total_is_the_sum(self) -> Self:
        if self.total != sum(self.item_scores.values()):
            raise ValueError("total must equal the sum of item_scores")
        return self


CoachingEvent = (
    CoachingStarted
    | VocationalProfileCompleted
    | EmployerContacted
    | PlacementStarted
    | FollowAlongSupportGiven
    | PlacementEnded
    | CoachingEnded
    | FidelityReviewRecorded
)

COACHING_EVENTS: tuple[type[Event], ...] = (
    CoachingStarted,
    VocationalProfileCompleted,
    EmployerContacted,
    PlacementStarted,
    FollowAlongSupportGiven,
    PlacementEnded,
    CoachingEnded,
    FidelityReviewRecorded,
)
