"""The work ability support plan (työkyvyn tuen suunnitelma): agreed on a client's case with
at least one planned service and a review date, then revised as often as needed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from uuid import UUID

from contracts.codes import ServiceKind
from contracts.commands.assessment import AgreeSupportPlan, ReviseSupportPlan
from contracts.events.assessment import SupportPlanAgreed, SupportPlanRevised
from contracts.events.base import Event
from services.assessment.domain.rules import (
    business_time,
    case_of_client,
    distinct,
    named_case,
    not_in_past,
)
from services.decider import Context, InvalidCommand, StateConflict


@dataclass(frozen=True)
class Plan:
    agreed: bool = False
    client_id: UUID | None = None
    case_id: UUID | None = None
    planned_services: tuple[ServiceKind, ...] = ()
    review_on: date | None = None
    revisions: int = 0
    plan_id: UUID | None = None


initial_state = Plan()

PlanCommand = AgreeSupportPlan | ReviseSupportPlan


def evolve(state: Plan, event: Event) -> Plan:
    match event:
        case SupportPlanAgreed():
            return Plan(True, event.client_id, event.case_id, tuple(event.planned_services),
                        event.review_on, plan_id=event.plan_id)
        case SupportPlanRevised():
            return replace(state, planned_services=tuple(event.planned_services),
                           review_on=event.review_on, revisions=state.revisions + 1)
    return state


def decide(command: PlanCommand, state: Plan, ctx: Context) -> list[Event]:
    """An agreement creates the stream `ctx.new_id` on the case `ctx.view("case")`."""
    match command:
        case AgreeSupportPlan():
            if state.agreed:
                raise StateConflict(
                    f"support plan {state.plan_id} is already agreed; revise it instead")
            case_of_client(named_case(ctx, command.case_id), command.client_id)
            occurred_at = _check(command, ctx.now)
            return [SupportPlanAgreed(
                plan_id=ctx.require_new_id(), client_id=command.client_id,
                case_id=command.case_id, planned_services=list(command.planned_services),
                review_on=command.review_on, occurred_at=occurred_at,
            )]
        case ReviseSupportPlan():
            if not state.agreed or state.client_id is None or state.plan_id is None:
                raise StateConflict("only an agreed support plan can be revised")
            occurred_at = _check(command, ctx.now)
            return [SupportPlanRevised(
                plan_id=state.plan_id, client_id=state.client_id,
                planned_services=list(command.planned_services), review_on=command.review_on,
                occurred_at=occurred_at,
            )]
    raise TypeError(f"not a support plan command: {type(command).__name__}")


def _check(command: PlanCommand, now: datetime) -> datetime:
    """At least one distinct planned service and a review date not in the past *when the plan
    was agreed* (its business date): a plan recorded afterwards keeps its own review date."""
    occurred_at = business_time(command, now)
    _check_contents(command.planned_services, command.review_on, occurred_at.date())
    return occurred_at


def _check_contents(services: Sequence[ServiceKind], review_on: date, today: date) -> None:
    if not services:
        raise InvalidCommand("planned_services",
                             "a support plan needs at least one planned service")
    distinct("planned_services", services)
    not_in_past("review_on", review_on, today)
