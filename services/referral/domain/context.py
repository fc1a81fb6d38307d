"""What a decider needs besides the command and the state: who acts, when, and reference data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from contracts.codes import Role
from contracts.organisations import OrganisationRegistry
from services.referral.domain.errors import InvalidCommand

if TYPE_CHECKING:
    from services.referral.domain.client import ClientState


@dataclass(frozen=True)
class CommandContext:
    """The acting professional's organisation and role, the current time, the organisation
    registry, the id of anything the command creates, and the client's state when the
    command is about a client kept in another stream."""

    actor_org: str
    actor_role: Role
    now: datetime
    organisations: OrganisationRegistry
    new_id: UUID | None = None
    client: ClientState | None = None

    def require_new_id(self) -> UUID:
        if self.new_id is None:
            raise ValueError("this command creates a stream and needs new_id")
        return self.new_id

    def require_known_organisation(self, field: str, organisation_id: str) -> None:
        if organisation_id not in self.organisations:
            raise InvalidCommand(field, f"unknown organisation {organisation_id!r}")
