"""The access policy of DESIGN.md, written once: who may act on or read a client, and why.

Pure: the acting organisation and role, the client's facts (`facts.py`) and the date go in; a
`Verdict` comes out — allowed with the basis of the right, or refused with the reason. Every
service asks here through a thin storage adapter; none keeps a rule of its own. Writes are
judged on the command's business date, reads on the current date; "within N days" includes
day N.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from uuid import UUID

from contracts.codes import ConsentScope, OrganisationKind, Role
from services.runtime.access.facts import ClientFacts, ReferralStatus

# Roles that read figures or administer, never clients themselves (DESIGN.md, Roles).
NON_CLIENT_ROLES = frozenset({
    Role.ANALYST, Role.RESEARCHER, Role.ADMIN, Role.DATA_PROTECTION_OFFICER, Role.INTEGRATION,
})
ERASING_ROLES = frozenset({Role.ADMIN, Role.DATA_PROTECTION_OFFICER})


class Basis(StrEnum):
    """What gives an organisation a right about a client."""

    INVOLVED = "involved"
    REFERRER = "referrer"
    TARGET = "target"
    REGISTRAR = "registrar"
    CONSENT = "consent"  # named in an active data-sharing consent another organisation recorded
    OWN_CONSENT = "own_consent"  # named only in consents it recorded itself
    RECORDED_IT = "recorded_it"  # the organisation that recorded the consent (withdrawal)
    ROLE = "role"  # a right of the role and organisation alone, not about one client


@dataclass(frozen=True)
class Windows:
    """How long rights outlive the relation that gave them (configurable)."""

    involvement_days: int = 180
    registrar_days: int = 30


DEFAULT_WINDOWS = Windows()


@dataclass(frozen=True)
class Actor:
    """Who acts: the token's organisation (its registry kind, None when not in the registry)
    and role."""

    organisation_id: str
    role: Role
    kind: OrganisationKind | None


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str
    basis: Basis | None = None

    @classmethod
    def allow(cls, basis: Basis, reason: str = "") -> Verdict:
        return cls(True, reason or f"allowed: {basis.value}", basis)

    @classmethod
    def refuse(cls, reason: str) -> Verdict:
        return cls(False, reason)


def organisation_verdict(actor: Actor) -> Verdict:
    """Only organisations of the registry act, and employers have no rights at all."""
    if actor.kind is None:
        return Verdict.refuse(f"organisation {actor.organisation_id} is not in the "
                              "organisation registry; ask its administrator to add it")
    if actor.kind is OrganisationKind.EMPLOYER:
        return Verdict.refuse("employers are placement partners, not services: an employer's "
                              "token has no rights in Polku")
    return Verdict.allow(Basis.ROLE)


def client_work_verdict(actor: Actor) -> Verdict:
    """Acting on clients needs a client-work role of an organisation that may act."""
    verdict = organisation_verdict(actor)
    if not verdict.allowed:
        return verdict
    if actor.role in NON_CLIENT_ROLES:
        return Verdict.refuse(f"the role {actor.role.value} does not act on or read clients; "
                              "only client-work roles do")
    return verdict


def role_verdict(actor: Actor, roles: Collection[Role]) -> Verdict:
    """Rights of the role alone (indicators, extracts, audit): the organisation must act."""
    verdict = organisation_verdict(actor)
    if not verdict.allowed:
        return verdict
    if actor.role not in roles:
        names = ", ".join(sorted(role.value for role in roles))
        return Verdict.refuse(f"only the role(s) {names} may do this; the token has the role "
                              f"{actor.role.value}")
    return verdict


# Relations of an organisation to a client on a day ---------------------------------------


def is_involved(facts: ClientFacts, org: str, day: date,
                windows: Windows = DEFAULT_WINDOWS) -> bool:
    """Holds an open case of the client, or one that closed, or that it transferred away,
    within the last `involvement_days` (follow-up measurements come after the close)."""
    window = timedelta(days=windows.involvement_days)
    for case in facts.cases.values():
        if case.holder == org and (case.closed_on is None or day <= case.closed_on + window):
            return True
        if any(o == org and day <= on + window for o, on in case.transferred_away):
            return True
    return False


def is_referrer(facts: ClientFacts, org: str, day: date) -> bool:
    """Made a referral of the client that waits, or whose resulting case is still open."""
    for referral in facts.referrals.values():
        if referral.referrer != org:
            continue
        if referral.status is ReferralStatus.WAITING:
            return True
        if referral.status is ReferralStatus.ACCEPTED and referral.case_id is not None:
            case = facts.cases.get(referral.case_id)
            if case is None or case.closed_on is None or day < case.closed_on:
                return True
    return False


def is_target(facts: ClientFacts, org: str) -> bool:
    return any(r.target == org and r.status is ReferralStatus.WAITING
               for r in facts.referrals.values())


def is_registrar(facts: ClientFacts, org: str, day: date,
                 windows: Windows = DEFAULT_WINDOWS) -> bool:
    return (facts.registrar == org and facts.registered_on is not None
            and day <= facts.registered_on + timedelta(days=windows.registrar_days))


def consent_basis(facts: ClientFacts, org: str, day: date) -> Basis | None:
    """CONSENT when an active data-sharing consent recorded by another organisation names
    `org`; OWN_CONSENT when only consents it recorded itself do (made visible by a metric)."""
    naming = [c for c in facts.consents.values() if c.shares_with(org, day)]
    if not naming:
        return None
    return Basis.CONSENT if any(c.recorded_by != org for c in naming) else Basis.OWN_CONSENT


def _first_basis(facts: ClientFacts, org: str, day: date, windows: Windows,
                 allowed: Collection[Basis]) -> Basis | None:
    if Basis.INVOLVED in allowed and is_involved(facts, org, day, windows):
        return Basis.INVOLVED
    if Basis.REFERRER in allowed and is_referrer(facts, org, day):
        return Basis.REFERRER
    if Basis.TARGET in allowed and is_target(facts, org):
        return Basis.TARGET
    if Basis.REGISTRAR in allowed and is_registrar(facts, org, day, windows):
        return Basis.REGISTRAR
    if Basis.CONSENT in allowed:
        return consent_basis(facts, org, day)
    return None


def _about_client(actor: Actor, facts: ClientFacts, day: date, windows: Windows,
                  allowed: Collection[Basis], what: str) -> Verdict:
    verdict = client_work_verdict(actor)
    if not verdict.allowed:
        return verdict
    basis = _first_basis(facts, actor.organisation_id, day, windows, allowed)
    if basis is None:
        rights = " or ".join(_NAMES[b] for b in allowed)
        return Verdict.refuse(f"organisation {actor.organisation_id} may not {what}: it is "
                              f"not {rights} for this client on {day.isoformat()}"
                              f"{_consent_note(facts, actor.organisation_id, day, allowed)}")
    return Verdict.allow(basis)


_NAMES = {Basis.INVOLVED: "involved (a case open or closed within the window)",
          Basis.REFERRER: "the referrer", Basis.TARGET: "the target of a waiting referral",
          Basis.REGISTRAR: "the registrar (30 days)",
          Basis.CONSENT: "named in an active data-sharing consent"}


def _consent_note(facts: ClientFacts, org: str, day: date, allowed: Collection[Basis]) -> str:
    """Why a consent naming the organisation does not count (withdrawn or expired)."""
    if Basis.CONSENT not in allowed:
        return ""
    naming = [c for c in facts.consents.values()
              if c.scope is ConsentScope.DATA_SHARING and org in c.organisation_ids]
    if any(c.withdrawn_on is not None and day >= c.withdrawn_on for c in naming):
        return "; the data-sharing consent naming it was withdrawn"
    if naming:
        return "; the data-sharing consent naming it has expired"
    return ""


# The rights ------------------------------------------------------------------------------

WRITE_BASES = (Basis.INVOLVED, Basis.REFERRER, Basis.CONSENT)
CONSENT_BASES = (Basis.INVOLVED, Basis.REFERRER)
PERSONAL_DATA_BASES = (Basis.INVOLVED, Basis.CONSENT, Basis.TARGET, Basis.REGISTRAR)
TIMELINE_BASES = (Basis.INVOLVED, Basis.CONSENT)


def may_write_about(actor: Actor, facts: ClientFacts, day: date,
                    windows: Windows = DEFAULT_WINDOWS) -> Verdict:
    """Assessments, measurements, plans, coaching, placements, feedback, consultations and
    group sessions naming a client: involved, referrer, or named in an active consent."""
    return _about_client(actor, facts, day, windows, WRITE_BASES, "record data about the client")


def may_record_consent(actor: Actor, facts: ClientFacts, day: date,
                       windows: Windows = DEFAULT_WINDOWS) -> Verdict:
    """The client gives consent where they are served or referred."""
    return _about_client(actor, facts, day, windows, CONSENT_BASES,
                         "record a consent of the client")


def may_withdraw_consent(actor: Actor, facts: ClientFacts, consent_id: UUID, day: date,
                         windows: Windows = DEFAULT_WINDOWS) -> Verdict:
    """An involved organisation or a referrer, or the organisation that recorded it."""
    consent = facts.consents.get(consent_id)
    verdict = client_work_verdict(actor)
    if verdict.allowed and consent is not None and consent.recorded_by == actor.organisation_id:
        return Verdict.allow(Basis.RECORDED_IT)
    return _about_client(actor, facts, day, windows, CONSENT_BASES,
                         "withdraw a consent of the client")


def may_read_personal_data(actor: Actor, facts: ClientFacts, today: date,
                           windows: Windows = DEFAULT_WINDOWS) -> Verdict:
    return _about_client(actor, facts, today, windows, PERSONAL_DATA_BASES,
                         "read the client's personal data")


def may_read_timeline(actor: Actor, facts: ClientFacts, today: date,
                      windows: Windows = DEFAULT_WINDOWS) -> Verdict:
    return _about_client(actor, facts, today, windows, TIMELINE_BASES,
                         "read the client's timeline")


def may_erase(actor: Actor, facts: ClientFacts,
              successors_of_registrar: Collection[str] = ()) -> Verdict:
    """Role admin or data protection officer of the registrar, at any time, or of its
    successor in the registry."""
    verdict = role_verdict(actor, ERASING_ROLES)
    if not verdict.allowed:
        return verdict
    if actor.organisation_id == facts.registrar:
        return Verdict.allow(Basis.REGISTRAR)
    if actor.organisation_id in successors_of_registrar:
        return Verdict.allow(Basis.REGISTRAR, "allowed: successor of the registrar")
    return Verdict.refuse(f"only the organisation that registered the client (or its "
                          f"successor) may erase it; {actor.organisation_id} did not")


def timeline_shows(facts: ClientFacts, org: str, today: date, *, event_actor_org: str,
                   event_case_id: UUID | None) -> bool:
    """Which events of a readable timeline the caller sees: those its organisation recorded,
    those naming a case it holds or held, or all when a consent naming it is active now."""
    if event_actor_org == org or consent_basis(facts, org, today) is not None:
        return True
    if event_case_id is None:
        return False
    case = facts.cases.get(event_case_id)
    return case is not None and (
        case.holder == org or any(o == org for o, _ in case.transferred_away))


# The read audit -------------------------------------------------------------------------

AUDIT_ROLES = frozenset({Role.DATA_PROTECTION_OFFICER})


def may_read_audit(actor: Actor) -> Verdict:
    """The read audit is the data protection officer's (DESIGN.md, Roles)."""
    return role_verdict(actor, AUDIT_ROLES)


def audit_covers(facts: ClientFacts, org: str, today: date,
                 windows: Windows = DEFAULT_WINDOWS) -> bool:
    """Every read of the client, whoever made it, is in the organisation's audit: it is
    involved with the client today (reads are judged on the current date)."""
    return is_involved(facts, org, today, windows)


def audit_shows(facts: ClientFacts, org: str, today: date, *, reader_org: str,
                windows: Windows = DEFAULT_WINDOWS) -> bool:
    """Which recorded reads an organisation's data protection officer sees: those its own
    professionals made, and those anyone made of a client it is involved with today."""
    return reader_org == org or audit_covers(facts, org, today, windows)
