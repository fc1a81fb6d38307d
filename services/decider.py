"""The shape every aggregate's decider shares: one context type and one family of errors.

Every aggregate of every write service is a decider over this shape —
`initial_state`, `evolve(state, event) -> state`, `decide(command, state, context) ->
list[Event]` — pure, importing only `contracts` and the standard library. The errors say
what went wrong in the domain's words; the HTTP adapter maps them to statuses in one place
(services/runtime/responses.py), and nothing here knows of HTTP, the database or the bus.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Protocol, TypeVar
from uuid import UUID

from contracts.codes import Role
from contracts.events.base import Event
from contracts.organisations import OrganisationRegistry

S = TypeVar("S")
S_contra = TypeVar("S_contra", contravariant=True)
C_contra = TypeVar("C_contra", contravariant=True)


class DomainError(Exception):
    """Base of every refusal a command can meet, in the domain's words."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class UnknownAggregate(DomainError):
    """What the command names does not exist (404)."""


class NotPermitted(DomainError):
    """The actor may not do this (403)."""


class StateConflict(DomainError):
    """The command does not fit the aggregate's state: decided already, closed, … (409)."""


class InvalidCommand(DomainError):
    """The command's input is wrong in a way its schema cannot say; names the field (422)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


_NOTHING: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class Context:
    """What a decider needs besides the command and the state: who acts, when, reference
    data, the id of what the command creates, and views of other aggregates the command
    is about (`views`, e.g. the client a referral names, the case a plan belongs to)."""

    actor_org: str
    actor_role: Role
    now: datetime
    organisations: OrganisationRegistry
    new_id: UUID | None = None
    views: Mapping[str, Any] = field(default_factory=lambda: _NOTHING)

    def require_new_id(self) -> UUID:
        if self.new_id is None:
            raise ValueError("this command creates a stream and needs new_id")
        return self.new_id

    def require_known_organisation(self, field_name: str, organisation_id: str) -> None:
        if organisation_id not in self.organisations:
            raise InvalidCommand(field_name, f"unknown organisation {organisation_id!r}")

    def view(self, name: str) -> Any:
        return self.views.get(name)


class Decide(Protocol[C_contra, S_contra]):
    def __call__(self, command: C_contra, state: S_contra, context: Context, /) -> list[Event]:
        ...


Evolve = Callable[[S, Event], S]
