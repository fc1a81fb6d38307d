"""IPS job coaching episodes: engagement, vocational profile, employer contacts, placements,
follow-along support and the coaching's end, with the outcome shares of calibration.md."""

from __future__ import annotations

from datetime import date, timedelta

from contracts.codes import (
    EmployerContactPurpose,
    ExitDestination,
    FollowAlongMode,
    LabourMarketStatus,
    PlacementEndReason,
    PlacementKind,
    ReferringOrgKind,
    ServiceKind,
)
from contracts.commands import (
    CompleteVocationalProfile,
    ContactEmployer,
    EndCoaching,
    EndPlacement,
    GiveFollowAlongSupport,
    StartCoaching,
    StartPlacement,
)
from polku.demo.pathway import CLIENT, Case, ClientPathway
from polku.demo.plan import Actor, Ref
from polku.demo.regions import CoachingOutcome, EpisodeKind
from polku.demo.sampling import chance, lognormal_days, weighted

EARLY_END_SHARE = 0.25  # assumed: a quarter of jobs end within 90 days (retention ≈ 75 %)
CONVERTED_SHARE = 0.3  # assumed: subsidised jobs that became permanent during coaching
FIRST_CONTACT_MEDIAN_DAYS = 18  # assumed: IPS rapid job search, most within 30 days
NO_PLACEMENT_EXITS = {
    ExitDestination.EMPLOYMENT_SERVICES: 0.4, ExitDestination.REHABILITATIVE_WORK_ACTIVITY: 0.15,
    ExitDestination.SOCIAL_REHABILITATION: 0.15, ExitDestination.MEDICAL_REHABILITATION: 0.1,
    ExitDestination.CLIENT_DECLINED: 0.1, ExitDestination.OTHER: 0.1,
}
LATER_PURPOSES = {
    EmployerContactPurpose.JOB_SEARCH: 0.55, EmployerContactPurpose.JOB_TAILORING: 0.25,
    EmployerContactPurpose.EMPLOYER_SUPPORT: 0.1, EmployerContactPurpose.INFO_SESSION: 0.1,
}
MODES = {FollowAlongMode.WORKPLACE_VISIT: 0.4, FollowAlongMode.PHONE: 0.35,
         FollowAlongMode.MEETING: 0.15, FollowAlongMode.REMOTE: 0.1}
PLACEMENT_OF: dict[CoachingOutcome, tuple[PlacementKind, bool, LabourMarketStatus]] = {
    CoachingOutcome.OPEN_MARKET: (PlacementKind.OPEN_MARKET_JOB, False,
                                  LabourMarketStatus.OPEN_MARKET_JOB),
    CoachingOutcome.SUBSIDISED: (PlacementKind.PAY_SUBSIDISED_JOB, True,
                                 LabourMarketStatus.PAY_SUBSIDISED_JOB),
    CoachingOutcome.SUPPORTED_WORK: (PlacementKind.SUPPORTED_WORK, False,
                                     LabourMarketStatus.SUPPORTED_WORK),
    CoachingOutcome.WORK_TRIAL: (PlacementKind.WORK_TRIAL, False,
                                 LabourMarketStatus.IN_EMPLOYMENT_SERVICES),
    CoachingOutcome.EDUCATION: (PlacementKind.EDUCATION, False, LabourMarketStatus.EDUCATION),
}
JOBS = (CoachingOutcome.OPEN_MARKET, CoachingOutcome.SUBSIDISED, CoachingOutcome.SUPPORTED_WORK)


def coaching_episode(pathway: ClientPathway, referred: date,
                     referrer_kind: ReferringOrgKind | None = None) -> None:
    """A referral to a coaching team; the coach opens the case and starts an engagement."""
    rng = pathway.rng
    team = pathway.region.coaching_teams.draw()
    coach = pathway.region.teams[f"coach:{team.org}"].pick(rng)
    case, _ = pathway.refer(referred, EpisodeKind.COACHING, coach, referrer_kind)
    if case is None:
        return
    n, engagement = case.episode, f"ep{case.episode}_engagement"
    # The coaching service starts the case's one engagement from CaseOpened and answers this
    # POST with its id (200) — or starts it here (201) when the event has not arrived yet.
    started = case.opened
    body = {"client_id": CLIENT, "case_id": Ref(case.ref), "coach_id": str(coach.sub)}
    pathway.add(started, f"ep{n}.engagement", "coaching", "/engagements", StartCoaching, body,
                coach, produces=(engagement, "engagement_id"))
    pathway.measure_baseline(case, started)
    pathway.add(started + timedelta(days=rng.randint(7, 28)), f"ep{n}.profile", "coaching",
                f"/engagements/{{{engagement}}}/vocational-profile", CompleteVocationalProfile,
                {}, coach)
    first_contact = started + timedelta(
        days=max(2, lognormal_days(rng, FIRST_CONTACT_MEDIAN_DAYS, 0.6, 120)))
    outcome = pathway.region.coaching_outcomes[team.org].draw()
    if outcome is CoachingOutcome.NONE:
        ended = max(started + timedelta(days=rng.randint(120, 300)),
                    first_contact + timedelta(days=14))
        _contacts(pathway, case, coach, first_contact, ended)
        exit_destination, status = weighted(rng, NO_PLACEMENT_EXITS), None
    else:
        placed = first_contact + timedelta(days=rng.randint(14, 150))
        employer = _contacts(pathway, case, coach, first_contact, placed)
        ended, exit_destination, status = _placement(pathway, case, coach, outcome, employer,
                                                     placed)
    pathway.add(ended, f"ep{n}.end", "coaching", f"/engagements/{{{engagement}}}/end",
                EndCoaching, {"outcome": exit_destination.value}, coach)
    pathway.measure_after(case, ended, exit_destination, status)
    closed = ended + timedelta(days=rng.randint(0, 10))
    pathway.close(case, closed, exit_destination)
    pathway.feedback(case, closed, ServiceKind.JOB_COACHING)


def _contacts(pathway: ClientPathway, case: Case, coach: Actor, first: date, last: date) -> str:
    """Employer contacts from `first` until `last` (at most six); the last employer contacted."""
    rng, n = pathway.rng, case.episode
    employers = pathway.region.employers()
    day, employer = first, rng.choice(employers)
    for index in range(6):
        if index and day > last:
            break
        employer = rng.choice(employers)
        purpose = EmployerContactPurpose.JOB_SEARCH if index == 0 else weighted(rng, LATER_PURPOSES)
        pathway.add(min(day, last), f"ep{n}.contact{index}", "coaching",
                    f"/engagements/{{ep{n}_engagement}}/employer-contacts", ContactEmployer,
                    {"employer_id": employer, "purpose": purpose.value}, coach)
        day += timedelta(days=rng.randint(7, 30))
    return employer


def _placement(pathway: ClientPathway, case: Case, coach: Actor, outcome: CoachingOutcome,
               employer: str, placed: date,
               ) -> tuple[date, ExitDestination, LabourMarketStatus | None]:
    """The placement and its follow-along; returns the coaching end, exit and status."""
    rng, n = pathway.rng, case.episode
    kind, subsidy, status = PLACEMENT_OF[outcome]
    hours = (None if outcome is CoachingOutcome.EDUCATION
             else rng.choice((15.0, 20.0, 25.0)) if outcome is CoachingOutcome.SUPPORTED_WORK
             else rng.choice((20.0, 25.0, 30.0, 37.5)))
    placement = f"ep{n}_placement"
    pathway.add(placed, f"ep{n}.placement", "coaching", "/placements", StartPlacement,
                {"client_id": CLIENT, "engagement_id": Ref(f"ep{n}_engagement"),
                 "employer_id": employer, "kind": kind.value, "hours_per_week": hours,
                 "wage_subsidy": subsidy}, coach, produces=(placement, "placement_id"))
    end: tuple[date, PlacementEndReason] | None = None
    exit_destination = ExitDestination.EMPLOYMENT
    ended = placed + timedelta(days=rng.randint(60, 150))
    if outcome in JOBS and chance(rng, EARLY_END_SHARE):
        end = (placed + timedelta(days=rng.randint(20, 85)),
               rng.choice((PlacementEndReason.EMPLOYER_ENDED, PlacementEndReason.CLIENT_ENDED)))
        ended = end[0] + timedelta(days=rng.randint(14, 60))
        exit_destination, status = (ExitDestination.EMPLOYMENT_SERVICES,
                                    LabourMarketStatus.IN_EMPLOYMENT_SERVICES)
    elif outcome is CoachingOutcome.SUBSIDISED and chance(rng, CONVERTED_SHARE):
        end = (ended - timedelta(days=rng.randint(1, 30)),
               PlacementEndReason.CONVERTED_TO_PERMANENT)
        status = LabourMarketStatus.OPEN_MARKET_JOB
    elif outcome is CoachingOutcome.WORK_TRIAL:
        end = (placed + timedelta(days=rng.randint(30, 90)), PlacementEndReason.ENDED_AS_AGREED)
        ended = end[0] + timedelta(days=rng.randint(7, 45))
        exit_destination = ExitDestination.EMPLOYMENT_SERVICES
    elif outcome is CoachingOutcome.EDUCATION:
        ended = placed + timedelta(days=rng.randint(14, 60))
        exit_destination = ExitDestination.EDUCATION
    _follow_along(pathway, case, coach, placed, end[0] if end else ended)
    if end is not None:
        pathway.add(end[0], f"ep{n}.placement_end", "coaching", f"/placements/{{{placement}}}/end",
                    EndPlacement, {"reason": end[1].value}, coach)
    return ended, exit_destination, status


def _follow_along(pathway: ClientPathway, case: Case, coach: Actor, placed: date,
                  until: date) -> None:
    rng, n = pathway.rng, case.episode
    day = placed + timedelta(days=rng.randint(5, 14))
    for index in range(6):
        if day >= until:
            break
        pathway.add(day, f"ep{n}.follow_along{index}", "coaching",
                    f"/placements/{{ep{n}_placement}}/follow-along", GiveFollowAlongSupport,
                    {"mode": weighted(rng, MODES).value}, coach)
        day += timedelta(days=rng.randint(10, 28))
