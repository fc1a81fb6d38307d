"""The demo plan: per pathway, the HTTP commands to send in order, and who sends them."""

from __future__ import annotations

import string
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from contracts.codes import Role
from contracts.commands import Command

ServiceName = Literal["referral", "assessment", "coaching"]
TrackKind = Literal["client", "organisation"]

DEMO_NAMESPACE = uuid.UUID("5b0e4c7a-2f61-5a3d-9c1e-7d2f8a4b6c90")
"""Namespace of every demo UUID (professionals, idempotency keys): stable across runs."""

PLACEHOLDER_ID = uuid.UUID(int=0)
"""Stands in for a service-assigned id when a body is validated without the services."""


@dataclass(frozen=True, slots=True)
class Ref:
    """An id the services assign, learned from an earlier step's response."""

    name: str


@dataclass(frozen=True, slots=True)
class Actor:
    """The simulated professional whose token sends a step."""

    org: str
    role: Role
    sub: uuid.UUID


@dataclass(frozen=True, slots=True)
class Step:
    """One POST: `path` may hold `{ref}` placeholders, `body` may hold `Ref` values."""

    key: str
    service: ServiceName
    path: str
    command: type[Command]
    body: Mapping[str, Any]
    actor: Actor
    occurred_at: datetime
    produces: tuple[str, str] | None = None
    """(ref name, response field) of the id this step creates."""

    def refs(self) -> set[str]:
        """Names of every earlier id this step needs."""
        in_path = {name for _, name, _, _ in string.Formatter().parse(self.path) if name}
        in_body = {value.name for value in self.body.values() if isinstance(value, Ref)}
        return in_path | in_body

    def resolved_path(self, ids: Mapping[str, str]) -> str:
        return self.path.format_map(ids)

    def payload(self, ids: Mapping[str, str],
                body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The JSON body to send: refs replaced by learned ids, `occurred_at` set."""
        source = self.body if body is None else body
        resolved = {
            name: (ids[value.name] if isinstance(value, Ref) else value)
            for name, value in source.items()
        }
        resolved["occurred_at"] = self.occurred_at.isoformat()
        return resolved

    def validate(self) -> Command:
        """The body as its contracts command model, with placeholder ids (no services needed)."""
        placeholders = {name: str(PLACEHOLDER_ID) for name in self.refs()}
        return self.command.model_validate(self.payload(placeholders))


@dataclass(frozen=True, slots=True)
class Track:
    """Steps that must run in order: one client's pathway, or one organisation's records."""

    key: str
    kind: TrackKind
    region: str
    steps: tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    seed: int
    clients: int
    until: date
    tracks: tuple[Track, ...]

    def idempotency_key(self, track: Track, step: Step) -> str:
        """Derived from seed, size, track and step, so a re-run repeats the same keys."""
        name = f"demo:{self.seed}:{self.clients}:{track.key}:{step.key}"
        return str(uuid.uuid5(DEMO_NAMESPACE, name))

    def client_tracks(self) -> list[Track]:
        return [track for track in self.tracks if track.kind == "client"]
