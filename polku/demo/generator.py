"""The demo plan: deterministic pathways for the five seed regions from a seed and a size.

Pure: no I/O, no clock unless `until` is left out (then yesterday, capped at the window end).
Calibration and assumptions: calibration.md.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta

from contracts.codes import ConsentScope, ReferringOrgKind, Role
from contracts.commands import GiveConsent, RegisterClient
from polku.demo.coaching import coaching_episode
from polku.demo.episodes import sote_episode
from polku.demo.pathway import ROLE_OF_TEAM, ClientPathway, Draft, RegionContext
from polku.demo.people import Team, synthetic_person
from polku.demo.plan import Actor, Plan, Track
from polku.demo.records import consultation_tracks, fidelity_track
from polku.demo.regions import (
    COACH_CLIENTS_PER_YEAR,
    REFERENCE_CLIENTS,
    REGIONS,
    WINDOW_END,
    WINDOW_START,
    WORKER_CLIENTS_PER_YEAR,
    EpisodeKind,
    RegionProfile,
)
from polku.demo.sampling import Deck, allocate, chance

DECISIONS = {"accept": 0.86, "decline": 0.10, "withdraw": 0.04}  # assumed
NO_DATA_SHARING = 0.1  # assumed: clients seen only by the assessing team, without consent
CONSENT_YEARS = 3
# Case services whose CaseOpened makes the team "involved" for the assessment service (EVENTS.md).
INVOLVING_SERVICES = {"work_ability_assessment", "physical_function_mapping", "health_check"}


def default_until(today: date | None = None) -> date:
    """The last business date of the demo: yesterday, at most the window's end."""
    today = today or datetime.now(UTC).date()
    return min(WINDOW_END, today - timedelta(days=1))


def build_plan(seed: int = 42, clients: int = REFERENCE_CLIENTS, until: date | None = None) -> Plan:
    """Every client's pathway and every organisation's records, in the order to send them."""
    if clients < 0:
        raise ValueError("clients must not be negative")
    until = until or default_until()
    if until < WINDOW_START + timedelta(days=60):
        raise ValueError(f"until must be at least two months after {WINDOW_START}")
    rng = random.Random(seed)
    regions = allocate(clients, {profile: profile.weight for profile in REGIONS})
    contexts = {profile: _context(rng, profile, regions[profile], until) for profile in REGIONS}
    order = [profile for profile, count in regions.items() for _ in range(count)]
    rng.shuffle(order)
    used_codes: set[str] = set()
    tracks = [_client_track(rng, contexts[profile], index, until, used_codes)
              for index, profile in enumerate(order)]
    scale = clients / REFERENCE_CLIENTS
    for profile in REGIONS:
        context = contexts[profile]
        if regions[profile]:
            tracks += [fidelity_track(rng, profile, team, until) for team in profile.coaching_teams]
        tracks += consultation_tracks(rng, profile, context.teams, scale, until)
    return Plan(seed=seed, clients=clients, until=until,
                tracks=tuple(track for track in tracks if track.steps))


def _context(rng: random.Random, profile: RegionProfile, clients: int,
             until: date) -> RegionContext:
    return RegionContext(
        profile=profile,
        teams=_teams(profile, clients, until),
        episodes=Deck(rng, profile.episodes),
        referrers=Deck(rng, profile.referrers),
        categories=Deck(rng, profile.categories),
        decisions=Deck(rng, DECISIONS),
        coaching_teams=Deck(rng, {team: team.weight for team in profile.coaching_teams}),
        coaching_outcomes={team.org: Deck(rng, team.outcomes) for team in profile.coaching_teams},
    )


def _teams(profile: RegionProfile, clients: int, until: date) -> dict[str, Team]:
    """Team sizes follow the volume: ≈100 TTK clients a year per responsible worker (000)."""
    years = max(0.5, (until - WINDOW_START).days / 365.25)

    def per_year(kind: EpisodeKind, share: float = 1.0) -> float:
        return clients * profile.episodes.get(kind, 0.0) * share / years

    ttk = per_year(EpisodeKind.ASSESSMENT)
    physio = per_year(EpisodeKind.PHYSIO) + ttk * profile.physio_in_assessment
    sizes = {
        "ttk": max(2, math.ceil(ttk / WORKER_CLIENTS_PER_YEAR)),
        "physio": max(1, math.ceil(physio / 150)),
        "hc_nurse": max(1, math.ceil(per_year(EpisodeKind.HEALTH_CHECK) / 200)),
        "coordinator": max(1, math.ceil(per_year(EpisodeKind.COORDINATION) / 60)),
        "doctor": 2, "health_station": 4, "employment": 6, "mtp": 3, "kela": 2, "ngo": 2,
        "college": 1,
    }
    orgs = {"ttk": "sote", "physio": "sote", "hc_nurse": "sote", "coordinator": "sote",
            "doctor": "sote", "health_station": "sote", "employment": "employment", "mtp": "mtp",
            "kela": "kela", "ngo": "ngo", "college": "college"}
    teams = {name: Team(profile.org(orgs[name]), ROLE_OF_TEAM[name], size)
             for name, size in sizes.items()}
    for team in profile.coaching_teams:
        coached = per_year(EpisodeKind.COACHING, team.weight)
        teams[f"coach:{team.org}"] = Team(
            team.org, Role.JOB_COACH, max(1, math.ceil(coached / COACH_CLIENTS_PER_YEAR)))
    return teams


def _client_track(rng: random.Random, context: RegionContext, index: int, until: date,
                  used_codes: set[str]) -> Track:
    pathway = ClientPathway(context, random.Random(rng.getrandbits(64)), until)
    span = (until - WINDOW_START).days - 14
    referred = WINDOW_START + timedelta(days=pathway.rng.randrange(span))
    kind = context.episodes.draw()
    if kind is EpisodeKind.COACHING:
        coaching_episode(pathway, referred)
    else:
        sote_episode(pathway, kind, referred)
    first = pathway.drafts[0]
    head = _registration(pathway, first.fields["actor"], first.day, used_codes)
    head += _consents(pathway)
    return Track(f"client:{index:06d}", "client", context.profile.code.value,
                 pathway.finalise(head))


def _registration(pathway: ClientPathway, actor: Actor, day: date,
                  used_codes: set[str]) -> list[Draft]:
    """Registration by whoever made the first referral, first on its day."""
    person = synthetic_person(pathway.rng, used_codes)
    return [Draft(day, -1, {
        "key": "register", "service": "referral", "path": "/clients", "command": RegisterClient,
        "actor": actor, "produces": ("client", "client_id"),
        "body": {"identity_code": person.identity_code, "first_name": person.first_name,
                 "last_name": person.last_name,
                 "home_region": pathway.region.profile.code.value}})]


def _consent_anchor(pathway: ClientPathway) -> Draft | None:
    """The step after which the client's consents are recorded: the client consents where
    they are referred or served (the access policy), so by the referrer right after the
    first referral — or, for a self-referral, by the receiving team once it accepted."""
    referral = next(d for d in pathway.drafts if d.fields["path"] == "/referrals")
    if referral.fields["body"].get("referring_org_kind") != ReferringOrgKind.CLIENT_SELF.value:
        return referral
    accept = f"{referral.fields['key'].split('.')[0]}.accept"
    return next((d for d in pathway.drafts if d.fields["key"] == accept), None)


def _consents(pathway: ClientPathway) -> list[Draft]:
    rng, profile = pathway.rng, pathway.region.profile
    anchor = _consent_anchor(pathway)
    if anchor is None:  # a declined self-referral: no one the client consented with
        return []
    actor, day = anchor.fields["actor"], anchor.day
    fields = []
    # The services learn who may act from consents: name every organisation that records
    # something about the client outside a case the assessment service knows of (EVENTS.md).
    named = {profile.org("employment"), profile.org("kela")} | pathway.acting_orgs
    only_assessing_team = pathway.acting_orgs <= {profile.org("sote")} and all(
        draft.fields["path"] != "/referrals"
        or draft.fields["body"]["target_service"] in INVOLVING_SERVICES
        for draft in pathway.drafts)
    if not (only_assessing_team and chance(rng, NO_DATA_SHARING)):
        valid_until = day + timedelta(days=365 * CONSENT_YEARS) if chance(rng, 0.5) else None
        fields.append({"key": "consent.data_sharing", "service": "referral",
                       "path": "/clients/{client}/consents", "command": GiveConsent,
                       "actor": actor, "produces": ("consent_data_sharing", "consent_id"),
                       "body": {"scope": ConsentScope.DATA_SHARING.value,
                                "organisation_ids": sorted(named),
                                "valid_until": valid_until.isoformat() if valid_until else None}})
    if chance(rng, profile.research_consent):
        fields.append({"key": "consent.research", "service": "referral",
                       "path": "/clients/{client}/consents", "command": GiveConsent,
                       "actor": actor, "produces": ("consent_research", "consent_id"),
                       "body": {"scope": ConsentScope.RESEARCH.value, "organisation_ids": [],
                                "valid_until": None}})
    # Ordered right after the anchor on its day (fractional positions between its own and
    # the next step's).
    return [Draft(day, anchor.seq + (position + 1) / (len(fields) + 1), {**item})  # type: ignore[arg-type]
            for position, item in enumerate(fields)]
