"""Command handlers: authorise, load the aggregate, run its decider, append (via the bus).

Every command about a client passes `require_write_access`: the client must be known
from `polku.referral.v1` (else 404) and the access policy (services/runtime/access/policy.py)
must let the caller record data about the client on the command's business date (else 403,
saying why).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from uuid import UUID

from fastapi.responses import JSONResponse

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
from contracts.commands.base import Command
from contracts.organisations import UnknownOrganisation
from services.assessment.domain import assessment, consultation, health_check, measurement, plan
from services.assessment.domain.errors import Conflict, Rejected
from services.assessment.domain.rules import CaseView
from services.runtime.access import business_day, find_case, require_write_access, windows_of
from services.runtime.application import CommandMeta, Decision
from services.runtime.errors import InvalidTransition, NotAuthorised, NotFound, ValidationFailed
from services.runtime.service import ServiceContext


@contextlib.contextmanager
def domain_errors() -> Iterator[None]:
    """The deciders' refusals as the runtime's typed errors (mapped to problem+json there)."""
    try:
        yield
    except Rejected as error:
        raise ValidationFailed(error.field, error.message) from error
    except Conflict as error:
        raise InvalidTransition(str(error)) from error


def _now() -> datetime:
    return datetime.now(UTC)


async def _may_write(ctx: ServiceContext, meta: CommandMeta, client_id: UUID,
                     body: Command) -> None:
    await require_write_access(ctx.pool, ctx.organisations, meta.principal, client_id,
                               business_day(body), windows_of(ctx.settings))


async def _case(ctx: ServiceContext, case_id: UUID) -> CaseView:
    info = await find_case(ctx.pool, case_id)
    if info is None:
        raise NotFound(f"case {case_id} is not known to this service")
    return CaseView(info.case_id, info.client_id, info.closed)


# Assessments ----------------------------------------------------------------------------


async def start_assessment(
    ctx: ServiceContext, meta: CommandMeta, body: StartAssessment
) -> JSONResponse:
    async def decide() -> Decision:
        await _may_write(ctx, meta, body.client_id, body)
        case = await _case(ctx, body.case_id) if body.case_id is not None else None
        assessment_id = uuid.uuid4()
        with domain_errors():
            events = assessment.decide(
                body, assessment.initial_state, assessment_id=assessment_id,
                organisation_id=meta.principal.org, now=_now(), case=case,
            )
        return Decision(events, {f"assessment:{assessment_id}": 0}, 201,
                        {"assessment_id": str(assessment_id)}, f"/assessments/{assessment_id}")

    return await ctx.bus.execute(meta, decide)


async def decide_assessment(
    ctx: ServiceContext, meta: CommandMeta, assessment_id: UUID,
    body: CompleteAssessment | CancelAssessment,
) -> JSONResponse:
    """Complete or cancel: 404 for an unknown assessment, 409 when already decided."""

    async def decide() -> Decision:
        stream = f"assessment:{assessment_id}"
        loaded = await ctx.bus.load(stream, assessment.initial_state, assessment.evolve)
        if loaded.version == 0 or loaded.state.client_id is None:
            raise NotFound(f"assessment {assessment_id} does not exist")
        await _may_write(ctx, meta, loaded.state.client_id, body)
        with domain_errors():
            events = assessment.decide(
                body, loaded.state, assessment_id=assessment_id,
                organisation_id=meta.principal.org, now=_now(),
            )
        return Decision(events, {stream: loaded.version}, 200,
                        {"assessment_id": str(assessment_id)})

    return await ctx.bus.execute(meta, decide)


# Measurements ---------------------------------------------------------------------------

MEASUREMENT_PATHS = {
    RecordWorkAbilityScore: "work-ability-scores",
    RecordSelfAssessment: "self-assessments",
    RecordLabourMarketStatus: "labour-market-status",
}


async def record_measurement(
    ctx: ServiceContext, meta: CommandMeta, client_id: UUID,
    body: RecordWorkAbilityScore | RecordSelfAssessment | RecordLabourMarketStatus,
) -> JSONResponse:
    async def decide() -> Decision:
        await _may_write(ctx, meta, client_id, body)
        measurement_id = uuid.uuid4()
        with domain_errors():
            events = measurement.decide(
                body, measurement.initial_state, measurement_id=measurement_id,
                client_id=client_id, now=_now(),
            )
        path = MEASUREMENT_PATHS[type(body)]
        return Decision(events, {f"measurement:{measurement_id}": 0}, 201,
                        {"measurement_id": str(measurement_id)},
                        f"/clients/{client_id}/{path}/{measurement_id}")

    return await ctx.bus.execute(meta, decide)


# Health checks --------------------------------------------------------------------------


async def complete_health_check(
    ctx: ServiceContext, meta: CommandMeta, body: CompleteHealthCheck
) -> JSONResponse:
    async def decide() -> Decision:
        await _may_write(ctx, meta, body.client_id, body)
        health_check_id = uuid.uuid4()
        with domain_errors():
            events = health_check.decide(
                body, health_check.initial_state, health_check_id=health_check_id,
                organisation_id=meta.principal.org, now=_now(),
            )
        return Decision(events, {f"healthcheck:{health_check_id}": 0}, 201,
                        {"health_check_id": str(health_check_id)},
                        f"/health-checks/{health_check_id}")

    return await ctx.bus.execute(meta, decide)


# Support plans --------------------------------------------------------------------------


async def agree_support_plan(
    ctx: ServiceContext, meta: CommandMeta, body: AgreeSupportPlan
) -> JSONResponse:
    async def decide() -> Decision:
        await _may_write(ctx, meta, body.client_id, body)
        case = await _case(ctx, body.case_id)
        plan_id = uuid.uuid4()
        with domain_errors():
            events = plan.decide(body, plan.initial_state, plan_id=plan_id, now=_now(),
                                 case=case)
        return Decision(events, {f"plan:{plan_id}": 0}, 201, {"plan_id": str(plan_id)},
                        f"/support-plans/{plan_id}")

    return await ctx.bus.execute(meta, decide)


async def revise_support_plan(
    ctx: ServiceContext, meta: CommandMeta, plan_id: UUID, body: ReviseSupportPlan
) -> JSONResponse:
    async def decide() -> Decision:
        stream = f"plan:{plan_id}"
        loaded = await ctx.bus.load(stream, plan.initial_state, plan.evolve)
        if loaded.version == 0 or loaded.state.client_id is None:
            raise NotFound(f"support plan {plan_id} does not exist")
        await _may_write(ctx, meta, loaded.state.client_id, body)
        with domain_errors():
            events = plan.decide(body, loaded.state, plan_id=plan_id, now=_now())
        return Decision(events, {stream: loaded.version}, 200, {"plan_id": str(plan_id)})

    return await ctx.bus.execute(meta, decide)


# Consultations --------------------------------------------------------------------------


async def give_consultation(
    ctx: ServiceContext, meta: CommandMeta, body: GiveConsultation
) -> JSONResponse:
    async def decide() -> Decision:
        principal = meta.principal
        try:
            org_kind = ctx.organisations.kind_of(principal.org)
        except UnknownOrganisation:
            raise NotAuthorised(
                f"organisation {principal.org} is not in the organisation registry"
            ) from None
        if body.client_id is not None:
            await _may_write(ctx, meta, body.client_id, body)
        consultation_id = uuid.uuid4()
        with domain_errors():
            events = consultation.decide(
                body, consultation.initial_state, consultation_id=consultation_id,
                requester=consultation.Requester(principal.org, org_kind, principal.role),
                organisations=ctx.organisations, now=_now(),
            )
        return Decision(events, {f"consultation:{consultation_id}": 0}, 201,
                        {"consultation_id": str(consultation_id)},
                        f"/consultations/{consultation_id}")

    return await ctx.bus.execute(meta, decide)
