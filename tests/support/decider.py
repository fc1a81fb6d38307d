"""Given events, when a command, then events or a typed error — for every aggregate of every
service, over the one decider shape (services/decider.py): `initial_state`,
`evolve(state, event)`, `decide(command, state, context)`.

    scenario(referral).given(made).when(AcceptReferral(...), context(org=TARGET))
        .then(ReferralAccepted(...), CaseOpened(...))
    scenario(referral).given(made).when(command, ctx).raises(NotPermitted)

`invariants` checks what holds for any command sequence (hypothesis drives it): whatever
`decide` returns, `evolve` takes; a refusal is a typed domain error and never anything else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import ModuleType
from typing import Any
from uuid import UUID, uuid4

from contracts.codes import Role
from contracts.events.base import Event
from contracts.organisations import load_registry
from services.decider import Context, DomainError

REGISTRY = load_registry()
NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


def context(org: str = "kymenlaakso-sote", role: Role = Role.SOCIAL_WORKER, *,
            new_id: UUID | None = None, now: datetime = NOW, **views: Any) -> Context:
    """The one context type, for tests: who acts, when, and any views the command needs."""
    return Context(actor_org=org, actor_role=role, now=now, organisations=REGISTRY,
                   new_id=new_id or uuid4(), views=views)


@dataclass
class Then:
    events: list[Event] | None
    error: DomainError | None
    state: Any

    def then(self, *expected: Event) -> list[Event]:
        assert self.error is None, f"refused: {self.error!r}"
        assert self.events == list(expected)
        return self.events

    def raises(self, kind: type[DomainError], containing: str = "") -> DomainError:
        assert self.error is not None, f"decided {self.events!r} instead of {kind.__name__}"
        assert isinstance(self.error, kind), f"{self.error!r} is not a {kind.__name__}"
        assert containing in self.error.detail
        return self.error

    @property
    def decided(self) -> list[Event]:
        assert self.error is None, f"refused: {self.error!r}"
        assert self.events is not None
        return self.events


@dataclass
class Scenario:
    """One aggregate's decider (a domain module with initial_state, evolve, decide)."""

    decider: ModuleType
    history: list[Event] = field(default_factory=list)

    def given(self, *events: Event) -> Scenario:
        return Scenario(self.decider, [*self.history, *events])

    @property
    def state(self) -> Any:
        return fold(self.decider, self.history)

    def when(self, command: Any, ctx: Context | None = None) -> Then:
        state = self.state
        try:
            events = self.decider.decide(command, state, ctx or context())
        except DomainError as error:
            return Then(None, error, state)
        fold(self.decider, events, state)  # what decide returns, evolve takes
        return Then(list(events), None, state)


def scenario(decider: ModuleType) -> Scenario:
    return Scenario(decider)


def fold(decider: ModuleType, events: Iterable[Event], state: Any = None) -> Any:
    evolve: Callable[[Any, Event], Any] = decider.evolve
    current = decider.initial_state if state is None else state
    for event in events:
        current = evolve(current, event)
    return current


def invariants(decider: ModuleType, commands: Sequence[Any],
               ctx: Callable[[], Context] = context) -> tuple[Any, list[Event]]:
    """Run a command sequence against the decider, folding what it decides; refusals must
    be typed domain errors (anything else fails the test). Returns the final state and all
    events decided."""
    state, decided = decider.initial_state, []
    for command in commands:
        try:
            events = decider.decide(command, state, ctx())
        except DomainError:
            continue
        state = fold(decider, events, state)
        decided.extend(events)
    return state, decided
