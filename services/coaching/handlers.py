"""Command handlers of the coaching service: authorise, load, decide, and run the command
through the shared command bus, returning its `Outcome`.

Authorisation: every command about a client — starting an engagement or a placement, and
every command on an existing one (404 when unknown) — passes the access policy
(services/runtime/access/policy.py) on the command's business date, so a case holder after a
responsibility transfer carries on and an organisation whose rights ended does not; a
fidelity review is the caller's organisation's own. Refusals are the typed errors of
services/decider.py (the HTTP adapter maps them). The bus subscriber starting a job-coaching
case's engagement (subscribers.py) runs its command through the same bus.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg

from contracts.codes import OrganisationKind
from contracts.commands import coaching as body
from contracts.commands.base import Command
from contracts.events.referral import CaseOpened
from services.coaching.domain import engagement, fidelity, placement
from services.decider import Context
from services.runtime.access import find_case, require_write_access, windows_of
from services.runtime.application import CommandMeta, Decision, Loaded, Outcome
from services.runtime.errors import InvalidTransition, NotFound, ValidationFailed
from services.runtime.service import ServiceContext

# Engagements started for a case get an id derived from the case: one engagement per case,
# however often the case event is delivered or a professional asks for it.
CASE_ENGAGEMENT_NAMESPACE = uuid.UUID("6f0c1e1a-4c1b-5c87-9a43-3d0f2c6a7b10")


def engagement_id_for_case(case_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(CASE_ENGAGEMENT_NAMESPACE, str(case_id))


def engagement_stream(engagement_id: uuid.UUID) -> str:
    return f"engagement:{engagement_id}"


def placement_stream(placement_id: uuid.UUID) -> str:
    return f"placement:{placement_id}"


def _context(
    ctx: ServiceContext, meta: CommandMeta, *, new_id: uuid.UUID | None = None, **views: Any
) -> Context:
    return Context(
        actor_org=meta.principal.org, actor_role=meta.principal.role, now=datetime.now(UTC),
        organisations=ctx.organisations, new_id=new_id, views=views,
    )


def _now(command: Command) -> datetime:
    return command.occurred_at_or(datetime.now(UTC))


def _require_employer(ctx: ServiceContext, employer_id: str) -> None:
    if employer_id not in ctx.organisations:
        raise ValidationFailed("employer_id", "not an organisation of the registry")
    if ctx.organisations.kind_of(employer_id) is not OrganisationKind.EMPLOYER:
        raise ValidationFailed("employer_id", "the organisation is not an employer")


async def _authorise(
    ctx: ServiceContext, meta: CommandMeta, client_id: uuid.UUID | None, on: datetime
) -> None:
    """The access policy: may the caller record data about the client on this date."""
    if client_id is None:
        raise NotFound("the stream has no client")
    await require_write_access(ctx.access, ctx.organisations, meta.principal, client_id,
                               on.date(), windows_of(ctx.settings))


def _run(
    ctx: ServiceContext, meta: CommandMeta, decide: Callable[[], Awaitable[Decision]]
) -> Awaitable[Outcome]:
    return ctx.bus.execute(meta, decide)


# --- engagements -------------------------------------------------------------------------


async def load_engagement(ctx: ServiceContext, engagement_id: uuid.UUID) -> Loaded[Any]:
    loaded = await ctx.bus.load(
        engagement_stream(engagement_id), engagement.initial_state, engagement.evolve
    )
    if loaded.version == 0:
        raise NotFound(f"engagement {engagement_id} does not exist")
    return loaded


async def start_coaching(
    ctx: ServiceContext, meta: CommandMeta, command: body.StartCoaching
) -> Outcome:
    """A new engagement (created); for a case that has its engagement already, that one."""

    async def decide() -> Decision:
        await _authorise(ctx, meta, command.client_id, _now(command))
        engagement_id = uuid.uuid4()
        if command.case_id is not None:
            engagement_id = engagement_id_for_case(command.case_id)
            if await _case_engagement_exists(ctx, command.case_id, command.client_id):
                # The case's engagement exists (started from the case event): answer with it.
                return Decision([], {}, {"engagement_id": str(engagement_id)})
        events = engagement.decide(engagement.StartCoaching(
            client_id=command.client_id, organisation_id=meta.principal.org,
            coach_id=command.coach_id, case_id=command.case_id, occurred_at=_now(command),
        ), engagement.initial_state, _context(ctx, meta, new_id=engagement_id))
        return Decision(events, {engagement_stream(engagement_id): 0},
                        {"engagement_id": str(engagement_id)}, created=True)

    return await _run(ctx, meta, decide)


async def _case_engagement_exists(
    ctx: ServiceContext, case_id: uuid.UUID, client_id: uuid.UUID
) -> bool:
    """Whether the case (known, of this client) has its engagement; a closed case without
    one takes none."""
    case = await find_case(ctx.access, case_id)
    if case is None:
        raise NotFound(f"case {case_id} is not known to this service")
    if case.client_id != client_id:
        raise ValidationFailed("case_id", "the case belongs to another client than client_id")
    existing = await ctx.bus.load(engagement_stream(engagement_id_for_case(case_id)),
                                  engagement.initial_state, engagement.evolve)
    if existing.version:
        return True
    if case.closed:
        raise InvalidTransition(f"case {case_id} is closed")
    return False


async def start_coaching_for_case(
    ctx: ServiceContext, meta: CommandMeta, case: CaseOpened, *, conn: asyncpg.Connection
) -> Outcome:
    """The engagement a job-coaching case starts, appended in the caller's transaction
    (`conn`). Decided as if none existed: when one does (a redelivered case event, or a
    professional was first), the append raises ConcurrencyConflict."""
    engagement_id = engagement_id_for_case(case.case_id)

    async def decide() -> Decision:
        events = engagement.decide(engagement.StartCoaching(
            client_id=case.client_id, organisation_id=case.organisation_id,
            coach_id=case.responsible_worker_id, case_id=case.case_id,
            occurred_at=case.occurred_at,
        ), engagement.initial_state, _context(ctx, meta, new_id=engagement_id))
        return Decision(events, {engagement_stream(engagement_id): 0},
                        {"engagement_id": str(engagement_id)}, created=True)

    return await ctx.bus.execute(meta, decide, conn=conn)


async def _on_engagement(
    ctx: ServiceContext, meta: CommandMeta, engagement_id: uuid.UUID,
    command: engagement.Command,
) -> Decision:
    loaded = await load_engagement(ctx, engagement_id)
    state: engagement.Engagement = loaded.state
    await _authorise(ctx, meta, state.client_id, command.occurred_at)
    events = engagement.decide(command, state, _context(ctx, meta))
    return Decision(events, {engagement_stream(engagement_id): loaded.version})


async def complete_vocational_profile(
    ctx: ServiceContext, meta: CommandMeta, engagement_id: uuid.UUID,
    command: body.CompleteVocationalProfile,
) -> Outcome:
    return await _run(ctx, meta, lambda: _on_engagement(
        ctx, meta, engagement_id, engagement.CompleteVocationalProfile(occurred_at=_now(command))))


async def contact_employer(
    ctx: ServiceContext, meta: CommandMeta, engagement_id: uuid.UUID,
    command: body.ContactEmployer,
) -> Outcome:
    async def decide() -> Decision:
        _require_employer(ctx, command.employer_id)
        return await _on_engagement(ctx, meta, engagement_id, engagement.ContactEmployer(
            employer_id=command.employer_id, purpose=command.purpose, occurred_at=_now(command)))

    return await _run(ctx, meta, decide)


async def end_coaching(
    ctx: ServiceContext, meta: CommandMeta, engagement_id: uuid.UUID,
    command: body.EndCoaching,
) -> Outcome:
    return await _run(ctx, meta, lambda: _on_engagement(
        ctx, meta, engagement_id, engagement.EndCoaching(
            outcome=command.outcome, occurred_at=_now(command))))


# --- placements --------------------------------------------------------------------------


async def start_placement(
    ctx: ServiceContext, meta: CommandMeta, command: body.StartPlacement
) -> Outcome:
    async def decide() -> Decision:
        _require_employer(ctx, command.employer_id)
        await _authorise(ctx, meta, command.client_id, _now(command))
        linked = None
        if command.engagement_id is not None:
            linked = (await load_engagement(ctx, command.engagement_id)).state
        placement_id = uuid.uuid4()
        events = placement.decide(placement.StartPlacement(
            client_id=command.client_id, employer_id=command.employer_id, kind=command.kind,
            hours_per_week=command.hours_per_week, wage_subsidy=command.wage_subsidy,
            occurred_at=_now(command),
        ), placement.initial_state, _context(ctx, meta, new_id=placement_id, engagement=linked))
        return Decision(events, {placement_stream(placement_id): 0},
                        {"placement_id": str(placement_id)}, created=True)

    return await _run(ctx, meta, decide)


async def _on_placement(
    ctx: ServiceContext, meta: CommandMeta, placement_id: uuid.UUID,
    command: placement.Command,
) -> Decision:
    loaded = await ctx.bus.load(
        placement_stream(placement_id), placement.initial_state, placement.evolve
    )
    if loaded.version == 0:
        raise NotFound(f"placement {placement_id} does not exist")
    state: placement.Placement = loaded.state
    await _authorise(ctx, meta, state.client_id, command.occurred_at)
    events = placement.decide(command, state, _context(ctx, meta))
    return Decision(events, {placement_stream(placement_id): loaded.version})


async def give_follow_along_support(
    ctx: ServiceContext, meta: CommandMeta, placement_id: uuid.UUID,
    command: body.GiveFollowAlongSupport,
) -> Outcome:
    return await _run(ctx, meta, lambda: _on_placement(
        ctx, meta, placement_id, placement.GiveFollowAlongSupport(
            mode=command.mode, occurred_at=_now(command))))


async def end_placement(
    ctx: ServiceContext, meta: CommandMeta, placement_id: uuid.UUID,
    command: body.EndPlacement,
) -> Outcome:
    return await _run(ctx, meta, lambda: _on_placement(
        ctx, meta, placement_id, placement.EndPlacement(
            reason=command.reason, occurred_at=_now(command))))


# --- fidelity reviews --------------------------------------------------------------------


async def record_fidelity_review(
    ctx: ServiceContext, meta: CommandMeta, command: body.RecordFidelityReview
) -> Outcome:
    async def decide() -> Decision:
        review_id = uuid.uuid4()
        events = fidelity.decide(fidelity.RecordFidelityReview(
            item_scores={str(k): v for k, v in command.item_scores.items()},
            occurred_at=_now(command),
        ), fidelity.initial_state, _context(ctx, meta, new_id=review_id))
        total = sum(command.item_scores.values())
        return Decision(events, {f"fidelity:{review_id}": 0},
                        {"review_id": str(review_id), "total": total}, created=True)

    return await _run(ctx, meta, decide)
