"""Command handlers of the coaching service: authorise, load, decide, and return a Decision.

Authorisation: every command about a client — starting an engagement or a placement, and
every command on an existing one (404 when unknown) — passes the access policy
(services/runtime/access/policy.py) on the command's business date, so a case holder after a
responsibility transfer carries on and an organisation whose rights ended does not; a
fidelity review is the caller's organisation's own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from contracts.codes import OrganisationKind
from contracts.commands import coaching as body
from contracts.commands.base import Command
from contracts.events.base import Event
from services.coaching.domain import (
    CommandRejected,
    InvalidCommand,
    engagement,
    fidelity,
    placement,
)
from services.runtime.access import find_case, require_write_access, windows_of
from services.runtime.application import CommandMeta, Decision, Loaded
from services.runtime.errors import InvalidTransition, NotFound, ValidationFailed
from services.runtime.service import ServiceContext

C = TypeVar("C")
S = TypeVar("S")

# Engagements started for a case get an id derived from the case: one engagement per case,
# however often the case event is delivered or a professional asks for it.
CASE_ENGAGEMENT_NAMESPACE = uuid.UUID("6f0c1e1a-4c1b-5c87-9a43-3d0f2c6a7b10")


def engagement_id_for_case(case_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(CASE_ENGAGEMENT_NAMESPACE, str(case_id))


def engagement_stream(engagement_id: uuid.UUID) -> str:
    return f"engagement:{engagement_id}"


def placement_stream(placement_id: uuid.UUID) -> str:
    return f"placement:{placement_id}"


def run_decider(decide: Callable[[C, S], list[Event]], command: C, state: S) -> list[Event]:
    """Run a pure decider; its rule violations become the runtime's typed errors."""
    try:
        return decide(command, state)
    except CommandRejected as error:
        raise InvalidTransition(str(error)) from error
    except InvalidCommand as error:
        raise ValidationFailed(error.field, error.message) from error


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
    await require_write_access(ctx.pool, ctx.organisations, meta.principal, client_id,
                               on.date(), windows_of(ctx.settings))


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
) -> Decision:
    org = meta.principal.org
    await _authorise(ctx, meta, command.client_id, _now(command))
    engagement_id = uuid.uuid4()
    if command.case_id is not None:
        case = await find_case(ctx.pool, command.case_id)
        if case is None:
            raise NotFound(f"case {command.case_id} is not known to this service")
        if case.client_id != command.client_id:
            raise ValidationFailed("case_id", "the case belongs to another client than client_id")
        engagement_id = engagement_id_for_case(command.case_id)
        existing = await ctx.bus.load(
            engagement_stream(engagement_id), engagement.initial_state, engagement.evolve
        )
        if existing.version:
            # The case's engagement exists (started from the case event): answer with it.
            return _created(engagement_id, status=200)
        if case.closed:
            raise InvalidTransition(f"case {command.case_id} is closed")
    events = run_decider(engagement.decide, engagement.StartCoaching(
        engagement_id=engagement_id, client_id=command.client_id, organisation_id=org,
        coach_id=command.coach_id, case_id=command.case_id, occurred_at=_now(command),
    ), engagement.initial_state)
    decision = _created(engagement_id, status=201)
    decision.events = events
    decision.expected_versions = {engagement_stream(engagement_id): 0}
    return decision


def _created(engagement_id: uuid.UUID, *, status: int) -> Decision:
    return Decision([], {}, status, {"engagement_id": str(engagement_id)},
                    f"/engagements/{engagement_id}")


async def on_engagement(
    ctx: ServiceContext, meta: CommandMeta, engagement_id: uuid.UUID,
    command: engagement.Command,
) -> Decision:
    loaded = await load_engagement(ctx, engagement_id)
    state: engagement.Engagement = loaded.state
    await _authorise(ctx, meta, state.client_id, command.occurred_at)
    events = run_decider(engagement.decide, command, state)
    return Decision(events, {engagement_stream(engagement_id): loaded.version})


async def complete_vocational_profile(
    ctx: ServiceContext, meta: CommandMeta, engagement_id: uuid.UUID,
    command: body.CompleteVocationalProfile,
) -> Decision:
    return await on_engagement(ctx, meta, engagement_id, engagement.CompleteVocationalProfile(
        occurred_at=_now(command)))


async def contact_employer(
    ctx: ServiceContext, meta: CommandMeta, engagement_id: uuid.UUID,
    command: body.ContactEmployer,
) -> Decision:
    _require_employer(ctx, command.employer_id)
    return await on_engagement(ctx, meta, engagement_id, engagement.ContactEmployer(
        employer_id=command.employer_id, purpose=command.purpose, occurred_at=_now(command)))


async def end_coaching(
    ctx: ServiceContext, meta: CommandMeta, engagement_id: uuid.UUID,
    command: body.EndCoaching,
) -> Decision:
    return await on_engagement(ctx, meta, engagement_id, engagement.EndCoaching(
        outcome=command.outcome, occurred_at=_now(command)))


# --- placements --------------------------------------------------------------------------


async def start_placement(
    ctx: ServiceContext, meta: CommandMeta, command: body.StartPlacement
) -> Decision:
    _require_employer(ctx, command.employer_id)
    await _authorise(ctx, meta, command.client_id, _now(command))
    linked = None
    if command.engagement_id is not None:
        linked = (await load_engagement(ctx, command.engagement_id)).state
    placement_id = uuid.uuid4()
    events = run_decider(placement.decide, placement.StartPlacement(
        placement_id=placement_id, client_id=command.client_id,
        employer_id=command.employer_id, kind=command.kind,
        hours_per_week=command.hours_per_week, wage_subsidy=command.wage_subsidy,
        occurred_at=_now(command), engagement=linked,
    ), placement.initial_state)
    return Decision(events, {placement_stream(placement_id): 0}, 201,
                    {"placement_id": str(placement_id)}, f"/placements/{placement_id}")


async def on_placement(
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
    events = run_decider(placement.decide, command, state)
    return Decision(events, {placement_stream(placement_id): loaded.version})


async def give_follow_along_support(
    ctx: ServiceContext, meta: CommandMeta, placement_id: uuid.UUID,
    command: body.GiveFollowAlongSupport,
) -> Decision:
    return await on_placement(ctx, meta, placement_id, placement.GiveFollowAlongSupport(
        mode=command.mode, occurred_at=_now(command)))


async def end_placement(
    ctx: ServiceContext, meta: CommandMeta, placement_id: uuid.UUID,
    command: body.EndPlacement,
) -> Decision:
    return await on_placement(ctx, meta, placement_id, placement.EndPlacement(
        reason=command.reason, occurred_at=_now(command)))


# --- fidelity reviews --------------------------------------------------------------------


async def record_fidelity_review(
    ctx: ServiceContext, meta: CommandMeta, command: body.RecordFidelityReview
) -> Decision:
    review_id = uuid.uuid4()
    events = run_decider(fidelity.decide, fidelity.RecordFidelityReview(
        review_id=review_id, organisation_id=meta.principal.org,
        item_scores={str(k): v for k, v in command.item_scores.items()}, occurred_at=_now(command),
    ), fidelity.initial_state)
    total = sum(command.item_scores.values())
    return Decision(events, {f"fidelity:{review_id}": 0}, 201,
                    {"review_id": str(review_id), "total": total},
                    f"/fidelity-reviews/{review_id}")
