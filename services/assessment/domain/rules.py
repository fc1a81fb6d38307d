"""Business rules several aggregates share: business time, distinct code lists, cases."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from contracts.commands.base import Command
from services.decider import Context, InvalidCommand, StateConflict


@dataclass(frozen=True)
class CaseView:
    """What the deciders need to know about a referral-service case (from the access tables)."""

    case_id: UUID
    client_id: UUID
    closed: bool


def business_time(command: Command, now: datetime) -> datetime:
    """`occurred_at` as given, or now; never in the future."""
    when = command.occurred_at_or(now)
    if when > now:
        raise InvalidCommand("occurred_at", "must not be in the future")
    return when


def distinct(field: str, values: Sequence[object]) -> None:
    """Code lists are sets: naming one code twice is a mistake, not an emphasis."""
    seen: set[object] = set()
    for value in values:
        if value in seen:
            raise InvalidCommand(field, f"{value} is listed twice")
        seen.add(value)


def not_in_past(field: str, day: date, today: date) -> None:
    if day < today:
        raise InvalidCommand(field, f"must not be before the plan's date {today.isoformat()}")


def named_case(ctx: Context, case_id: UUID) -> CaseView:
    """The view of the case a command names (`ctx.view("case")`, looked up by the handler)."""
    case = ctx.view("case")
    if not isinstance(case, CaseView) or case.case_id != case_id:
        raise ValueError("the handler must look up the case the command names")
    return case


def case_of_client(case: CaseView, client_id: UUID) -> None:
    """A case named in a command must be this client's and still open."""
    if case.client_id != client_id:
        raise InvalidCommand("case_id", "the case belongs to another client")
    if case.closed:
        raise StateConflict(f"case {case.case_id} is closed and takes no more commands")
