"""Command handlers: authorise, load the aggregate, run its decider, append (via the bus).

Each handler runs one command through the shared command bus and returns its `Outcome`;
refusals are the typed errors of services/decider.py (the HTTP adapter maps them).
Every command about a client passes `require_write_access`: the client must be known
from `polku.referral.v1` (else 404) and the access policy (services/runtime/access/policy.py)
must let the caller record data about the client on the command's business date (else 403,
saying why).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from uuid import UUID

from contracts.commands.assessment import (
    AgreeSupportPlan,
    CancelAssessment,
    CompleteAssessment,
    CompleteHealthCheck,
    GiveConsultation,
    ReviseSupportPlan,
    StartAssessment,
)
from contracts.commands.base import Command
from services.assessment.domain import assessment, consultation, health_check, measurement, plan
from services.assessment.domain.measurement import RecordMeasurement
from services.assessment.domain.rules import CaseView
from services.decider import Context
from services.runtime.access import business_day, find_case, require_write_access, windows_of
from services.runtime.application import CommandMeta, Decision, Outcome
from services.runtime.errors import NotAuthorised, NotFound
from services.runtime.service import ServiceContext


def _context(ctx: ServiceContext, meta: CommandMeta, *, new_id: UUID | None = None,
             case: CaseView | None = None) -> Context:
    return Context(actor_org=meta.principal.org, actor_role=meta.principal.role,
                   now=datetime.now(UTC), organisations=ctx.organisations, new_id=new_id,
                   views={"case": case} if case is not None else {})


async def _may_write(ctx: ServiceContext, meta: CommandMeta, client_id: UUID,
                     body: Command) -> None:
    await require_write_access(ctx.access, ctx.organisations, meta.principal, client_id,
                               business_day(body), windows_of(ctx.settings))


async def _case(ctx: ServiceContext, case_id: UUID) -> CaseView:
    info = await find_case(ctx.access, case_id)
    if info is None:
        raise NotFound(f"case {case_id} is not known to this service")
    return CaseView(info.case_id, info.client_id, info.closed)


# Assessments ----------------------------------------------------------------------------


async def start_assessment(
    ctx: ServiceContext, meta: CommandMeta, body: StartAssessment
) -> Outcome:
    async def decide() -> Decision:
        await _may_write(ctx, meta, body.client_id, body)
        case = await _case(ctx, body.case_id) if body.case_id is not None else None
        assessment_id = uuid.uuid4()
        events = assessment.decide(body, assessment.initial_state,
                                   _context(ctx, meta, new_id=assessment_id, case=case))
        return Decision(events, {f"assessment:{assessment_id}": 0},
                        {"assessment_id": str(assessment_id)}, created=True)

    return await ctx.bus.execute(meta, decide)


async def decide_assessment(
    ctx: ServiceContext, meta: CommandMeta, assessment_id: UUID,
    body: CompleteAssessment | CancelAssessment,
) -> Outcome:
    """Complete or cancel: 404 for an unknown assessment, 409 when already decided."""

    async def decide() -> Decision:
        stream = f"assessment:{assessment_id}"
        loaded = await ctx.bus.load(stream, assessment.initial_state, assessment.evolve)
        if loaded.version == 0 or loaded.state.client_id is None:
            raise NotFound(f"assessment {assessment_id} does not exist")
        await _may_write(ctx, meta, loaded.state.client_id, body)
        events = assessment.decide(body, loaded.state, _context(ctx, meta))
        return Decision(events, {stream: loaded.version},
                        {"assessment_id": str(assessment_id)})

    return await ctx.bus.execute(meta, decide)


# Measurements ---------------------------------------------------------------------------


async def record_measurement(
    ctx: ServiceContext, meta: CommandMeta, command: RecordMeasurement
) -> Outcome:
    async def decide() -> Decision:
        await _may_write(ctx, meta, command.client_id, command.body)
        measurement_id = uuid.uuid4()
        events = measurement.decide(command, measurement.initial_state,
                                    _context(ctx, meta, new_id=measurement_id))
        return Decision(events, {f"measurement:{measurement_id}": 0},
                        {"measurement_id": str(measurement_id)}, created=True)

    return await ctx.bus.execute(meta, decide)


# Health checks --------------------------------------------------------------------------


async def complete_health_check(
    ctx: ServiceContext, meta: CommandMeta, body: CompleteHealthCheck
) -> Outcome:
    async def decide() -> Decision:
        await _may_write(ctx, meta, body.client_id, body)
        health_check_id = uuid.uuid4()
        events = health_check.decide(body, health_check.initial_state,
                                     _context(ctx, meta, new_id=health_check_id))
        return Decision(events, {f"healthcheck:{health_check_id}": 0},
                        {"health_check_id": str(health_check_id)}, created=True)

    return await ctx.bus.execute(meta, decide)


# Support plans --------------------------------------------------------------------------


async def agree_support_plan(
    ctx: ServiceContext, meta: CommandMeta, body: AgreeSupportPlan
) -> Outcome:
    async def decide() -> Decision:
        await _may_write(ctx, meta, body.client_id, body)
        case = await _case(ctx, body.case_id)
        plan_id = uuid.uuid4()
        events = plan.decide(body, plan.initial_state,
                             _context(ctx, meta, new_id=plan_id, case=case))
        return Decision(events, {f"plan:{plan_id}": 0}, {"plan_id": str(plan_id)},
                        created=True)

    return await ctx.bus.execute(meta, decide)


async def revise_support_plan(
    ctx: ServiceContext, meta: CommandMeta, plan_id: UUID, body: ReviseSupportPlan
) -> Outcome:
    async def decide() -> Decision:
        stream = f"plan:{plan_id}"
        loaded = await ctx.bus.load(stream, plan.initial_state, plan.evolve)
        if loaded.version == 0 or loaded.state.client_id is None:
            raise NotFound(f"support plan {plan_id} does not exist")
        await _may_write(ctx, meta, loaded.state.client_id, body)
        events = plan.decide(body, loaded.state, _context(ctx, meta))
        return Decision(events, {stream: loaded.version}, {"plan_id": str(plan_id)})

    return await ctx.bus.execute(meta, decide)


# Consultations --------------------------------------------------------------------------


async def give_consultation(
    ctx: ServiceContext, meta: CommandMeta, body: GiveConsultation
) -> Outcome:
    async def decide() -> Decision:
        # Before the client's access check: an organisation outside the registry is a 403
        # whatever client it names.
        if meta.principal.org not in ctx.organisations:
            raise NotAuthorised(
                f"organisation {meta.principal.org} is not in the organisation registry")
        if body.client_id is not None:
            await _may_write(ctx, meta, body.client_id, body)
        consultation_id = uuid.uuid4()
        events = consultation.decide(body, consultation.initial_state,
                                     _context(ctx, meta, new_id=consultation_id))
        return Decision(events, {f"consultation:{consultation_id}": 0},
                        {"consultation_id": str(consultation_id)}, created=True)

    return await ctx.bus.execute(meta, decide)
