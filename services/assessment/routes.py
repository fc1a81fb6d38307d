"""HTTP routes of the assessment service (API.md, Assessment service)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from contracts.commands.assessment import (
    AgreeSupportPlan,
    CancelAssessment,
    CompleteAssessment,
    CompleteHealthCheck,
    GiveConsultation,
    RecordLabourMarketStatus,
    RecordSelfAssessment,
    RecordWorkAbilityScore,
    ReviseSupportPlan,
    StartAssessment,
)
from services.assessment import handlers
from services.assessment.domain.measurement import RecordMeasurement
from services.runtime.responses import respond
from services.runtime.service import Ctx, Meta


class AssessmentCreated(BaseModel):
    assessment_id: UUID


class AssessmentChanged(AssessmentCreated):
    stream_version: int


class MeasurementCreated(BaseModel):
    measurement_id: UUID


class HealthCheckCreated(BaseModel):
    health_check_id: UUID


class PlanCreated(BaseModel):
    plan_id: UUID


class PlanChanged(PlanCreated):
    stream_version: int


class ConsultationCreated(BaseModel):
    consultation_id: UUID


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    reasons = {
        401: "missing, expired or badly signed token",
        403: "the organisation is neither involved with the client nor consented",
        404: "unknown client, case, assessment or plan",
        409: "conflicts with the stream's state or version",
        422: "invalid body, Idempotency-Key reused with another body",
    }
    # The problem+json schema of every error is documented once for all services
    # (services/runtime/openapi_problems.py); here only what each status means here.
    return {status: {"description": reasons[status]} for status in (401, 422, *statuses)}


def _created(model: type[BaseModel], *statuses: int) -> dict[int | str, dict[str, Any]]:
    return {201: {"model": model, "description": "created; `Location` names it"},
            **_problems(*statuses)}


def _changed(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    return {200: {"model": model, "description": "appended; the new stream version"},
            **_problems(403, 404, 409)}


router = APIRouter(tags=["assessment"])


@router.post("/assessments", status_code=201, response_class=JSONResponse,
             responses=_created(AssessmentCreated, 403, 404, 409),
             summary="Start an assessment (AssessmentStarted)")
async def start_assessment(body: StartAssessment, ctx: Ctx, meta: Meta) -> JSONResponse:
    outcome = await handlers.start_assessment(ctx, meta, body)
    return respond(outcome, "/assessments/{assessment_id}")


@router.post("/assessments/{assessment_id}/complete", response_class=JSONResponse,
             responses=_changed(AssessmentChanged),
             summary="Complete an assessment, once (AssessmentCompleted)")
async def complete_assessment(
    assessment_id: UUID, body: CompleteAssessment, ctx: Ctx, meta: Meta
) -> JSONResponse:
    return respond(await handlers.decide_assessment(ctx, meta, assessment_id, body))


@router.post("/assessments/{assessment_id}/cancel", response_class=JSONResponse,
             responses=_changed(AssessmentChanged),
             summary="Cancel an assessment, once (AssessmentCancelled)")
async def cancel_assessment(
    assessment_id: UUID, body: CancelAssessment, ctx: Ctx, meta: Meta
) -> JSONResponse:
    return respond(await handlers.decide_assessment(ctx, meta, assessment_id, body))


@router.post("/clients/{client_id}/work-ability-scores", status_code=201,
             response_class=JSONResponse, responses=_created(MeasurementCreated, 403, 404),
             summary="Record a work ability score 0–10 (WorkAbilityScoreRecorded)")
async def record_work_ability_score(
    client_id: UUID, body: RecordWorkAbilityScore, ctx: Ctx, meta: Meta
) -> JSONResponse:
    outcome = await handlers.record_measurement(ctx, meta, RecordMeasurement(client_id, body))
    return respond(outcome, f"/clients/{client_id}/work-ability-scores/{{measurement_id}}")


@router.post("/clients/{client_id}/self-assessments", status_code=201,
             response_class=JSONResponse, responses=_created(MeasurementCreated, 403, 404),
             summary="Record a Kykyviisari self-assessment (SelfAssessmentRecorded)")
async def record_self_assessment(
    client_id: UUID, body: RecordSelfAssessment, ctx: Ctx, meta: Meta
) -> JSONResponse:
    outcome = await handlers.record_measurement(ctx, meta, RecordMeasurement(client_id, body))
    return respond(outcome, f"/clients/{client_id}/self-assessments/{{measurement_id}}")


@router.post("/clients/{client_id}/labour-market-status", status_code=201,
             response_class=JSONResponse, responses=_created(MeasurementCreated, 403, 404),
             summary="Record the labour market status (LabourMarketStatusRecorded)")
async def record_labour_market_status(
    client_id: UUID, body: RecordLabourMarketStatus, ctx: Ctx, meta: Meta
) -> JSONResponse:
    outcome = await handlers.record_measurement(ctx, meta, RecordMeasurement(client_id, body))
    return respond(outcome, f"/clients/{client_id}/labour-market-status/{{measurement_id}}")


@router.post("/health-checks", status_code=201, response_class=JSONResponse,
             responses=_created(HealthCheckCreated, 403, 404),
             summary="Complete a health check (HealthCheckCompleted)")
async def complete_health_check(
    body: CompleteHealthCheck, ctx: Ctx, meta: Meta
) -> JSONResponse:
    outcome = await handlers.complete_health_check(ctx, meta, body)
    return respond(outcome, "/health-checks/{health_check_id}")


@router.post("/support-plans", status_code=201, response_class=JSONResponse,
             responses=_created(PlanCreated, 403, 404, 409),
             summary="Agree a support plan (SupportPlanAgreed)")
async def agree_support_plan(body: AgreeSupportPlan, ctx: Ctx, meta: Meta) -> JSONResponse:
    outcome = await handlers.agree_support_plan(ctx, meta, body)
    return respond(outcome, "/support-plans/{plan_id}")


@router.post("/support-plans/{plan_id}/revise", response_class=JSONResponse,
             responses=_changed(PlanChanged),
             summary="Revise a support plan (SupportPlanRevised)")
async def revise_support_plan(
    plan_id: UUID, body: ReviseSupportPlan, ctx: Ctx, meta: Meta
) -> JSONResponse:
    return respond(await handlers.revise_support_plan(ctx, meta, plan_id, body))


@router.post("/consultations", status_code=201, response_class=JSONResponse,
             responses=_created(ConsultationCreated, 403, 404),
             summary="Record a consultation (ConsultationGiven)")
async def give_consultation(body: GiveConsultation, ctx: Ctx, meta: Meta) -> JSONResponse:
    outcome = await handlers.give_consultation(ctx, meta, body)
    return respond(outcome, "/consultations/{consultation_id}")
