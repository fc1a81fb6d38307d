"""The client aggregate (`client:<client_id>`): registration, consents and erasure.

The client's identity code and names never enter this module's events: registration keeps
only what the code says about birth year and sex, and the region.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from uuid import UUID

from contracts.codes import ConsentScope, RegionCode, Sex
from contracts.commands.referral import (
    ErasePersonalData,
    GiveConsent,
    RegisterClient,
    WithdrawConsent,
)
from contracts.events.base import Event
from contracts.events.referral import (
    ClientRegistered,
    ConsentGiven,
    ConsentWithdrawn,
    PersonalDataErased,
)
from contracts.identity import parse_identity_code
from services.decider import (
    Context,
    InvalidCommand,
    StateConflict,
    UnknownAggregate,
)


@dataclass(frozen=True)
class Consent:
    consent_id: UUID
    scope: ConsentScope
    organisation_ids: tuple[str, ...]
    valid_until: date | None
    withdrawn: bool = False

    def active_on(self, day: date) -> bool:
        return not self.withdrawn and (self.valid_until is None or self.valid_until >= day)

    def shares_with(self, organisation_id: str, day: date) -> bool:
        return (
            self.scope is ConsentScope.DATA_SHARING
            and organisation_id in self.organisation_ids
            and self.active_on(day)
        )


@dataclass(frozen=True)
class ClientState:
    client_id: UUID | None = None
    birth_year: int | None = None
    sex: Sex | None = None
    home_region: RegionCode | None = None
    erased: bool = False
    consents: dict[UUID, Consent] = field(default_factory=dict)

    @property
    def registered(self) -> bool:
        return self.client_id is not None


initial_state = ClientState()


@dataclass(frozen=True)
class WithdrawConsentById:
    """DELETE /clients/{client_id}/consents/{consent_id}: the body plus the consent's id."""

    consent_id: UUID
    body: WithdrawConsent = field(default_factory=WithdrawConsent)


ClientCommand = RegisterClient | GiveConsent | WithdrawConsentById | ErasePersonalData


def evolve(state: ClientState, event: Event) -> ClientState:
    match event:
        case ClientRegistered():
            return replace(state, client_id=event.client_id, birth_year=event.birth_year,
                           sex=event.sex, home_region=event.home_region)
        case ConsentGiven():
            consent = Consent(event.consent_id, event.scope, tuple(event.organisation_ids),
                              event.valid_until)
            return replace(state, consents={**state.consents, event.consent_id: consent})
        case ConsentWithdrawn():
            withdrawn = replace(state.consents[event.consent_id], withdrawn=True)
            return replace(state, consents={**state.consents, event.consent_id: withdrawn})
        case PersonalDataErased():
            return replace(state, erased=True)
    return state


def decide(command: ClientCommand, state: ClientState, ctx: Context) -> list[Event]:
    match command:
        case RegisterClient():
            return _register(command, state, ctx)
        case GiveConsent():
            return _give_consent(command, require_active(state), ctx)
        case WithdrawConsentById():
            return _withdraw_consent(command, require_active(state), ctx)
        case ErasePersonalData():
            return _erase(command, state, ctx)
    raise TypeError(f"not a client command: {type(command).__name__}")


def require_registered(state: ClientState) -> ClientState:
    if not state.registered:
        raise UnknownAggregate("no client with this client_id")
    return state


def require_active(state: ClientState) -> ClientState:
    """The client exists and still has personal data: new consents and referrals need both."""
    require_registered(state)
    if state.erased:
        raise StateConflict("the client's personal data have been erased; "
                            "no new consents or referrals can be recorded")
    return state


def _register(command: RegisterClient, state: ClientState, ctx: Context) -> list[Event]:
    if state.erased:
        # The handler gives a code whose client was erased a new client_id (erasure unlinks
        # the code), so only a caller reusing the old id gets here.
        raise StateConflict("this client's personal data were erased; the client cannot be "
                            "registered again under the same client_id")
    if state.registered:
        return []  # same identity code, same client: registered once
    identity = parse_identity_code(command.identity_code)
    return [ClientRegistered(
        client_id=ctx.require_new_id(), birth_year=identity.birth_year, sex=identity.sex,
        home_region=command.home_region, occurred_at=command.occurred_at_or(ctx.now),
    )]


def _give_consent(command: GiveConsent, state: ClientState, ctx: Context) -> list[Event]:
    assert state.client_id is not None
    if command.valid_until is not None and command.valid_until < ctx.now.date():
        raise InvalidCommand("valid_until", "must not be in the past")
    organisation_ids = list(dict.fromkeys(command.organisation_ids))
    if command.scope is ConsentScope.DATA_SHARING and not organisation_ids:
        raise InvalidCommand("organisation_ids",
                             "a data_sharing consent names at least one organisation")
    for organisation_id in organisation_ids:
        ctx.require_known_organisation("organisation_ids", organisation_id)
    return [ConsentGiven(
        client_id=state.client_id, consent_id=ctx.require_new_id(), scope=command.scope,
        organisation_ids=organisation_ids, valid_until=command.valid_until,
        occurred_at=command.occurred_at_or(ctx.now),
    )]


def _withdraw_consent(
    command: WithdrawConsentById, state: ClientState, ctx: Context
) -> list[Event]:
    assert state.client_id is not None
    consent = state.consents.get(command.consent_id)
    if consent is None:
        raise UnknownAggregate("the client has no consent with this consent_id")
    if consent.withdrawn:
        raise StateConflict("this consent has already been withdrawn")
    return [ConsentWithdrawn(client_id=state.client_id, consent_id=command.consent_id,
                             occurred_at=command.body.occurred_at_or(ctx.now))]


def _erase(command: ErasePersonalData, state: ClientState, ctx: Context) -> list[Event]:
    require_registered(state)
    assert state.client_id is not None
    # Who may erase (the registrar's admin or data protection officer) is the access
    # policy's to say (services/runtime/access/policy.py), judged before this decider runs.
    if state.erased:
        raise StateConflict("the client's personal data have already been erased")
    return [PersonalDataErased(client_id=state.client_id,
                               occurred_at=command.occurred_at_or(ctx.now))]

