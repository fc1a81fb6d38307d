"""The access policy's adapter in reporting: the client's facts from `event_log` envelopes,
and the role checks of the figures' routes.

The rules are in services/runtime/access/policy.py; nothing here decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from contracts.codes import ConsentScope, Role
from contracts.organisations import OrganisationRegistry
from services.runtime.access import actor_of, enforce, facts_from_rows
from services.runtime.access.facts import ClientFacts
from services.runtime.access.policy import Actor, role_verdict
from services.runtime.principal import Principal

Envelope = dict[str, Any]

__all__ = ["actor_of", "enforce", "facts_of", "has_research_consent", "require_role"]


def require_role(principal: Principal, organisations: OrganisationRegistry,
                 *roles: Role) -> Actor:
    """The figures' routes: a role's right, for an organisation that may act."""
    actor = actor_of(principal, organisations)
    enforce(role_verdict(actor, roles), "role")
    return actor


def facts_of(envelopes: Iterable[Envelope]) -> ClientFacts:
    """The client's facts from its envelopes, folded in recorded order."""
    ordered = sorted(envelopes, key=lambda e: str(e.get("time", "")))
    return facts_from_rows((e["type"], e["dataversion"], e.get("data") or {},
                            e.get("actororg", "")) for e in ordered)


def has_research_consent(envelopes: Sequence[Envelope], today: date) -> bool:
    facts = facts_of(envelopes)
    return any(c.scope is ConsentScope.RESEARCH and c.active_on(today)
               for c in facts.consents.values())
