"""Who sends a command: the professional's pseudonymous id, organisation and role — from a
token for an HTTP route, from the envelope for a bus subscriber acting on an event."""

from __future__ import annotations

from dataclasses import dataclass

from contracts.codes import Role


@dataclass(frozen=True)
class Principal:
    sub: str
    org: str
    role: Role
