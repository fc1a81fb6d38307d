"""A consultation (konsultaatio): one organisation's professional asks another organisation's
expert, about a client or in general. Recorded once, with who asked whom."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from contracts.codes import OrganisationKind, Role
from contracts.commands.assessment import GiveConsultation
from contracts.events.assessment import ConsultationGiven
from contracts.events.base import Event
from services.assessment.domain.errors import Conflict, Rejected
from services.assessment.domain.rules import business_time


@dataclass(frozen=True)
class Requester:
    """The caller: their organisation (and its kind in the registry) and role."""

    organisation_id: str
    org_kind: OrganisationKind
    role: Role


@dataclass(frozen=True)
class Consultation:
    given: bool = False


initial_state = Consultation()


def evolve(state: Consultation, event: Event) -> Consultation:
    if isinstance(event, ConsultationGiven):
        return Consultation(given=True)
    return state


def decide(
    command: GiveConsultation, state: Consultation, *, consultation_id: UUID,
    requester: Requester, organisations: Container[str], now: datetime,
) -> list[Event]:
    """`organisations` is the organisation registry (ids the consultant may come from)."""
    if state.given:
        raise Conflict(f"consultation {consultation_id} is already recorded")
    if command.consultant_organisation_id not in organisations:
        raise Rejected("consultant_organisation_id", "not in the organisation registry")
    return [ConsultationGiven(
        consultation_id=consultation_id, client_id=command.client_id,
        requesting_organisation_id=requester.organisation_id,
        requesting_org_kind=requester.org_kind, requester_role=requester.role,
        consultant_organisation_id=command.consultant_organisation_id,
        consultant_role=command.consultant_role, topic=command.topic,
        occurred_at=business_time(command, now),
    )]
