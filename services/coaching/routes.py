"""HTTP routes of the coaching service (API.md, Coaching service): bodies in, outcomes out
(services/runtime/responses.py turns them into responses)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from contracts.commands.coaching import (
    CompleteVocationalProfile,
    ContactEmployer,
    EndCoaching,
    EndPlacement,
    GiveFollowAlongSupport,
    RecordFidelityReview,
    StartCoaching,
    StartPlacement,
)
from services.coaching import handlers
from services.runtime.responses import respond
from services.runtime.service import Ctx, Meta


class EngagementCreated(BaseModel):
    engagement_id: UUID


class PlacementCreated(BaseModel):
    placement_id: UUID


class FidelityReviewCreated(BaseModel):
    review_id: UUID
    total: int


class StreamVersion(BaseModel):
    stream_version: int


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The route's own descriptions of its errors; services/runtime/openapi_problems.py
    documents every error response as problem+json."""
    described = {
        401: "missing, expired or badly signed token",
        403: "the organisation may not act on this client",
        404: "unknown id (client, case, engagement or placement)",
        409: "conflicts with the stream's state or version",
        422: "invalid body, unknown field or code, or Idempotency-Key reused with another body",
    }
    return {status: {"description": described[status]} for status in (401, 422, *statuses)}


router = APIRouter(tags=["coaching"])
_ON_STREAM = _problems(403, 404, 409)


@router.post("/engagements", status_code=201, response_model=EngagementCreated,
             responses={200: {"model": EngagementCreated,
                              "description": "the case already has its engagement"},
                        **_problems(403, 404, 409)})
async def start_coaching(body: StartCoaching, ctx: Ctx, meta: Meta) -> JSONResponse:
    """Start a coaching engagement (`CoachingStarted`). With a `case_id`, one engagement per
    case: when the case already has one (e.g. started from its CaseOpened) it is returned."""
    return respond(await handlers.start_coaching(ctx, meta, body), "/engagements/{engagement_id}")


@router.post("/engagements/{engagement_id}/vocational-profile",
             response_model=StreamVersion, responses=_ON_STREAM)
async def complete_vocational_profile(
    engagement_id: UUID, ctx: Ctx, meta: Meta, body: CompleteVocationalProfile | None = None,
) -> JSONResponse:
    """The vocational profile is complete (`VocationalProfileCompleted`)."""
    command = body or CompleteVocationalProfile()
    return respond(await handlers.complete_vocational_profile(
        ctx, meta, engagement_id, command))


@router.post("/engagements/{engagement_id}/employer-contacts",
             response_model=StreamVersion, responses=_ON_STREAM)
async def contact_employer(
    engagement_id: UUID, body: ContactEmployer, ctx: Ctx, meta: Meta
) -> JSONResponse:
    """An employer was contacted for the client (`EmployerContacted`)."""
    return respond(await handlers.contact_employer(ctx, meta, engagement_id, body))


@router.post("/engagements/{engagement_id}/end",
             response_model=StreamVersion, responses=_ON_STREAM)
async def end_coaching(
    engagement_id: UUID, body: EndCoaching, ctx: Ctx, meta: Meta
) -> JSONResponse:
    """End the engagement (`CoachingEnded`); it takes no commands afterwards."""
    return respond(await handlers.end_coaching(ctx, meta, engagement_id, body))


@router.post("/placements", status_code=201, response_model=PlacementCreated,
             responses=_problems(403, 404, 409))
async def start_placement(body: StartPlacement, ctx: Ctx, meta: Meta) -> JSONResponse:
    """Start a placement at an employer (`PlacementStarted`), optionally within an open
    engagement of the same client."""
    return respond(await handlers.start_placement(ctx, meta, body), "/placements/{placement_id}")


@router.post("/placements/{placement_id}/follow-along",
             response_model=StreamVersion, responses=_ON_STREAM)
async def give_follow_along_support(
    placement_id: UUID, body: GiveFollowAlongSupport, ctx: Ctx, meta: Meta
) -> JSONResponse:
    """Follow-along support was given at the placement (`FollowAlongSupportGiven`)."""
    return respond(await handlers.give_follow_along_support(ctx, meta, placement_id, body))


@router.post("/placements/{placement_id}/end",
             response_model=StreamVersion, responses=_ON_STREAM)
async def end_placement(
    placement_id: UUID, body: EndPlacement, ctx: Ctx, meta: Meta
) -> JSONResponse:
    """End the placement (`PlacementEnded`); a placement ends once."""
    return respond(await handlers.end_placement(ctx, meta, placement_id, body))


@router.post("/fidelity-reviews", status_code=201, response_model=FidelityReviewCreated,
             responses=_problems())
async def record_fidelity_review(
    body: RecordFidelityReview, ctx: Ctx, meta: Meta
) -> JSONResponse:
    """Record the caller organisation's IPS fidelity review; the total is computed
    (`FidelityReviewRecorded`)."""
    outcome = await handlers.record_fidelity_review(ctx, meta, body)
    return respond(outcome, "/fidelity-reviews/{review_id}")
