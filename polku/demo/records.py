"""Organisation-level records with no client: IPS fidelity reviews and anonymous consultations."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from contracts.codes import ConsultationTopic, Role
from contracts.commands import GiveConsultation, RecordFidelityReview
from polku.demo.people import Team
from polku.demo.plan import Step, Track
from polku.demo.regions import WINDOW_START, CoachingTeam, RegionProfile
from polku.demo.sampling import weighted, workday

REVIEW_MONTHS = (3, 9)  # "a couple per year"; assumed spring and autumn
REQUESTERS = {"employment": 0.45, "mtp": 0.30, "kela": 0.15, "ngo": 0.10}
CONSULTANTS = {Role.PHYSIOTHERAPIST: 0.35, Role.DOCTOR: 0.25, Role.PSYCHOLOGIST: 0.15,
               Role.SOCIAL_WORKER: 0.15, Role.NURSE: 0.10}
TOPICS = {
    Role.PHYSIOTHERAPIST: (ConsultationTopic.PHYSICAL_FUNCTION,),
    Role.DOCTOR: (ConsultationTopic.WORK_ABILITY_ASSESSMENT, ConsultationTopic.BENEFITS),
    Role.PSYCHOLOGIST: (ConsultationTopic.MENTAL_HEALTH,),
    Role.SOCIAL_WORKER: (ConsultationTopic.SERVICE_GUIDANCE, ConsultationTopic.BENEFITS),
    Role.NURSE: (ConsultationTopic.WORK_ABILITY_ASSESSMENT, ConsultationTopic.OTHER),
}


def _at(day: date, rank: int) -> datetime:
    return datetime.combine(day, time(7, 0), tzinfo=UTC) + timedelta(minutes=5 * rank)


def fidelity_track(rng: random.Random, region: RegionProfile, team: CoachingTeam,
                   until: date) -> Track:
    """Reviews twice a year; the mean item score rises from the team's first to last value."""
    lead = Team(team.org, Role.TEAM_LEAD, 1).member(0)
    days = [workday(date(year, month, 15)) for year in range(WINDOW_START.year, until.year + 1)
            for month in REVIEW_MONTHS]
    days = [day for day in days if WINDOW_START <= day <= until]
    first, last = team.fidelity
    steps = []
    for index, day in enumerate(days):
        mean = first + (last - first) * index / max(1, len(days) - 1)
        items = {str(item): max(1, min(5, round(rng.gauss(mean, 0.8)))) for item in range(1, 26)}
        steps.append(Step(key=f"review{index}", service="coaching", path="/fidelity-reviews",
                          command=RecordFidelityReview, body={"item_scores": items}, actor=lead,
                          occurred_at=_at(day, 0), produces=(f"review{index}", "review_id")))
    return Track(f"fidelity:{team.org}", "organisation", region.code.value, tuple(steps))


def consultation_tracks(rng: random.Random, region: RegionProfile, teams: dict[str, Team],
                        scale: float, until: date) -> list[Track]:
    """Anonymous consultations (002: weekly consultation hours, not recorded per client)."""
    per_year: dict[int, list[Step]] = {}
    owed = 0.0
    month = date(WINDOW_START.year, WINDOW_START.month, 1)
    while month <= until:
        owed += region.consultations_per_month * scale
        count, owed = int(owed), owed - int(owed)
        for index in range(count):
            day = workday(month + timedelta(days=rng.randrange(28)))
            if day > until:
                continue
            steps = per_year.setdefault(month.year, [])
            steps.append(_consultation(rng, region, teams, day, f"{month:%Y-%m}.{index}"))
        month = (month + timedelta(days=32)).replace(day=1)
    tracks = []
    for year, steps in sorted(per_year.items()):
        steps.sort(key=lambda step: step.occurred_at)
        tracks.append(Track(f"consultations:{region.code.value}:{year}", "organisation",
                            region.code.value, tuple(steps)))
    return tracks


def _consultation(rng: random.Random, region: RegionProfile, teams: dict[str, Team], day: date,
                  key: str) -> Step:
    requester = teams[weighted(rng, REQUESTERS)].pick(rng)
    role = weighted(rng, CONSULTANTS)
    body = {"client_id": None, "consultant_organisation_id": region.org("sote"),
            "consultant_role": role.value, "topic": rng.choice(TOPICS[role]).value}
    return Step(key=key, service="assessment", path="/consultations", command=GiveConsultation,
                body=body, actor=requester, occurred_at=_at(day, rng.randrange(60)),
                produces=(f"consultation:{key}", "consultation_id"))
