"""What the access policy knows about one client: a pure fold over the referral service's events.

Every service keeps the same facts, whatever its storage: referral folds its own event store,
assessment and coaching the referral events they consume, reporting its event log. Each fact
carries the business date (`occurred_at`) it began and ended, because rights are judged on
a date (DESIGN.md, "The access policy").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from uuid import UUID

from contracts.codes import ConsentScope
from contracts.events.base import Event
from contracts.events.referral import (
    CaseClosed,
    CaseOpened,
    ClientRegistered,
    ConsentGiven,
    ConsentWithdrawn,
    PersonalDataErased,
    ReferralAccepted,
    ReferralDeclined,
    ReferralMade,
    ReferralWithdrawn,
    ResponsibilityTransferred,
)

# The referral events the facts are folded from; other events leave the facts as they are.
ACCESS_EVENT_TYPES = frozenset({
    "ClientRegistered", "ConsentGiven", "ConsentWithdrawn", "PersonalDataErased",
    "ReferralMade", "ReferralAccepted", "ReferralDeclined", "ReferralWithdrawn",
    "CaseOpened", "ResponsibilityTransferred", "CaseClosed",
})


class ReferralStatus(StrEnum):
    WAITING = "waiting"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class CaseFact:
    case_id: UUID
    holder: str
    opened_on: date
    closed_on: date | None = None
    # Organisations that transferred the case away, with the date of the transfer.
    transferred_away: tuple[tuple[str, date], ...] = ()


@dataclass(frozen=True)
class ReferralFact:
    referral_id: UUID
    referrer: str | None  # None: the client's self-referral
    target: str
    made_on: date
    status: ReferralStatus = ReferralStatus.WAITING
    case_id: UUID | None = None


@dataclass(frozen=True)
class ConsentFact:
    consent_id: UUID
    scope: ConsentScope
    organisation_ids: tuple[str, ...]
    recorded_by: str
    recorded_on: date
    valid_until: date | None
    withdrawn_on: date | None = None

    def active_on(self, day: date) -> bool:
        """Active from its recording until its withdrawal or its `valid_until`. A record
        dated before the consent (a late entry of an earlier visit) is judged by the end of
        the consent only: the client's consent covers the data they shared."""
        if self.withdrawn_on is not None and day >= self.withdrawn_on:
            return False
        return self.valid_until is None or day <= self.valid_until

    def shares_with(self, organisation_id: str, day: date) -> bool:
        return (self.scope is ConsentScope.DATA_SHARING
                and organisation_id in self.organisation_ids and self.active_on(day))


@dataclass(frozen=True)
class ClientFacts:
    client_id: UUID | None = None
    registrar: str | None = None
    registered_on: date | None = None
    erased: bool = False
    cases: dict[UUID, CaseFact] = field(default_factory=dict)
    referrals: dict[UUID, ReferralFact] = field(default_factory=dict)
    consents: dict[UUID, ConsentFact] = field(default_factory=dict)

    @property
    def registered(self) -> bool:
        return self.client_id is not None


NO_FACTS = ClientFacts()


def evolve(facts: ClientFacts, event: Event, actor_org: str) -> ClientFacts:
    """The facts after one event recorded by `actor_org` (the envelope's `actororg`)."""
    day = event.occurred_at.date()
    match event:
        case ClientRegistered():
            if facts.registered:  # the first registration makes the registrar
                return facts
            return replace(facts, client_id=event.client_id, registrar=actor_org,
                           registered_on=day)
        case PersonalDataErased():
            return replace(facts, erased=True)
        case ConsentGiven():
            consent = ConsentFact(event.consent_id, event.scope, tuple(event.organisation_ids),
                                  actor_org, day, event.valid_until)
            return replace(facts, consents={**facts.consents, event.consent_id: consent})
        case ConsentWithdrawn():
            return _with_consent(facts, event.consent_id, withdrawn_on=day)
        case ReferralMade():
            referral = ReferralFact(event.referral_id, event.referring_organisation_id,
                                    event.target_organisation_id, day)
            return replace(facts, referrals={**facts.referrals, event.referral_id: referral})
        case ReferralAccepted():
            return _with_referral(facts, event.referral_id, status=ReferralStatus.ACCEPTED,
                                  case_id=event.case_id)
        case ReferralDeclined():
            return _with_referral(facts, event.referral_id, status=ReferralStatus.DECLINED)
        case ReferralWithdrawn():
            return _with_referral(facts, event.referral_id, status=ReferralStatus.WITHDRAWN)
        case CaseOpened():
            case = CaseFact(event.case_id, event.organisation_id, day)
            return replace(facts, cases={**facts.cases, event.case_id: case})
        case ResponsibilityTransferred():
            old = facts.cases.get(event.case_id)
            if old is None:
                return facts
            away = old.transferred_away
            if event.from_organisation_id != event.to_organisation_id:
                away = (*away, (event.from_organisation_id, day))
            return _with_case(facts, replace(old, holder=event.to_organisation_id,
                                             transferred_away=away))
        case CaseClosed():
            old = facts.cases.get(event.case_id)
            return facts if old is None else _with_case(facts, replace(old, closed_on=day))
    return facts


def fold(events: Iterable[tuple[Event, str]], facts: ClientFacts = NO_FACTS) -> ClientFacts:
    """The facts of a client from its events in commit order, each with its `actororg`."""
    for event, actor_org in events:
        facts = evolve(facts, event, actor_org)
    return facts


def _with_case(facts: ClientFacts, case: CaseFact) -> ClientFacts:
    return replace(facts, cases={**facts.cases, case.case_id: case})


def _with_referral(facts: ClientFacts, referral_id: UUID, **changes: object) -> ClientFacts:
    old = facts.referrals.get(referral_id)
    if old is None:
        return facts
    return replace(facts, referrals={**facts.referrals,
                                     referral_id: replace(old, **changes)})  # type: ignore[arg-type]


def _with_consent(facts: ClientFacts, consent_id: UUID, **changes: object) -> ClientFacts:
    old = facts.consents.get(consent_id)
    if old is None:
        return facts
    return replace(facts, consents={**facts.consents,
                                    consent_id: replace(old, **changes)})  # type: ignore[arg-type]
