"""Who may read what about a client: involvement, consents and roles (DESIGN.md, People).

Pure decisions over a client's event envelopes (dicts as stored in `event_log`); the routes
load the events, ask here, and record the answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from contracts.codes import ConsentScope, Role
from services.runtime.errors import NotAuthorised
from services.runtime.http import Principal

Envelope = dict[str, Any]

# Which organisation fields of which events make that organisation involved with the client:
# referring or target of a referral, case holder now or earlier, assessment, health check
# and coaching organisations.
INVOLVING_FIELDS: dict[str, tuple[str, ...]] = {
    "ReferralMade": ("referring_organisation_id", "target_organisation_id"),
    "CaseOpened": ("organisation_id",),
    "ResponsibilityTransferred": ("from_organisation_id", "to_organisation_id"),
    "AssessmentStarted": ("organisation_id",),
    "HealthCheckCompleted": ("organisation_id",),
    "CoachingStarted": ("organisation_id",),
}


@dataclass(frozen=True)
class Access:
    granted: bool
    basis: str  # why: "involved", "consent <id>", or the reason for the refusal


@dataclass(frozen=True)
class Consent:
    consent_id: str
    scope: str
    organisation_ids: tuple[str, ...]
    valid_until: date | None
    withdrawn: bool

    def active_on(self, today: date) -> bool:
        return not self.withdrawn and (self.valid_until is None or self.valid_until >= today)


def require_role(principal: Principal, role: Role) -> None:
    if principal.role != role:
        raise NotAuthorised(f"only the role {role.value} may do this; the token has "
                            f"role {principal.role.value}")


def involved_organisations(envelopes: Iterable[Envelope]) -> set[str]:
    found: set[str] = set()
    for envelope in envelopes:
        data = envelope.get("data") or {}
        for name in INVOLVING_FIELDS.get(envelope.get("type", ""), ()):
            if data.get(name):
                found.add(str(data[name]))
    return found


def consents(envelopes: Sequence[Envelope]) -> list[Consent]:
    """Every consent the client gave, with whether it was withdrawn since."""
    withdrawn = {
        str((e.get("data") or {}).get("consent_id"))
        for e in envelopes if e.get("type") == "ConsentWithdrawn"
    }
    found = []
    for envelope in envelopes:
        if envelope.get("type") != "ConsentGiven":
            continue
        data = envelope.get("data") or {}
        until = data.get("valid_until")
        found.append(Consent(
            str(data.get("consent_id")), str(data.get("scope")),
            tuple(str(o) for o in data.get("organisation_ids") or ()),
            date.fromisoformat(until) if until else None,
            str(data.get("consent_id")) in withdrawn,
        ))
    return found


def timeline_access(org: str, envelopes: Sequence[Envelope], today: date) -> Access:
    """May `org` read this client's timeline on `today`, and on what basis (or why not)."""
    if org in involved_organisations(envelopes):
        return Access(True, "involved")
    naming = [c for c in consents(envelopes)
              if c.scope == ConsentScope.DATA_SHARING and org in c.organisation_ids]
    for consent in naming:
        if consent.active_on(today):
            return Access(True, f"consent {consent.consent_id}")
    if any(c.withdrawn for c in naming):
        return Access(False, f"{org} is not involved with the client and the data-sharing "
                             "consent naming it was withdrawn")
    if naming:
        return Access(False, f"{org} is not involved with the client and the data-sharing "
                             "consent naming it has expired")
    return Access(False, f"{org} is not involved with the client and no active data-sharing "
                         "consent names it")


def has_research_consent(envelopes: Sequence[Envelope], today: date) -> bool:
    return any(c.scope == ConsentScope.RESEARCH and c.active_on(today)
               for c in consents(envelopes))
