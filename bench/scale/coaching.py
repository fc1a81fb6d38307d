"""The coaching part of a job coaching case (IPS): engagement, vocational profile, employer
contacts, placements with follow-along support, the end; and teams' fidelity reviews."""

from __future__ import annotations

from bench.scale.client import Client
from bench.scale.world import DAY, Weighted, Writer
from contracts.codes import EmployerContactPurpose, FollowAlongMode, PlacementEndReason

PLACEMENT_KIND = Weighted({"open_market_job": 25, "pay_subsidised_job": 25, "work_trial": 25,
                          "apprenticeship": 5, "education": 8, "supported_work": 12})
END_REASON = Weighted({r.value: w for r, w in zip(PlacementEndReason, (45, 15, 15, 15, 10),
                                                  strict=True)})
PURPOSES = tuple(p.value for p in EmployerContactPurpose)
MODES = tuple(m.value for m in FollowAlongMode)
COACHING_KINDS = ("employment_services", "ngo", "multisectoral_service")


def engagement(c: Client, case_id: str, org: str, coach: str, opened: int, case_recorded: int,
               closes: int, outcome: str) -> None:
    """The engagement the coaching service starts when it sees the job coaching case."""
    rng = c.rng
    e = c.writer.uuid()
    subject = f"engagement:{e}"
    actor = (coach, "job_coach")
    # Started automatically on CaseOpened (a few seconds after it was recorded); a few
    # engagements were started by hand, without the case.
    automatic = c.chance(0.92)
    c.emit("coaching", "CoachingStarted", subject,
           {"engagement_id": e, "client_id": c.client_id, "organisation_id": org,
            "coach_id": coach, "case_id": case_id if automatic else None},
           opened, org, actor=actor,
           recorded=case_recorded + rng.randint(1, 30) if automatic else None)
    if c.chance(0.85):
        c.emit("coaching", "VocationalProfileCompleted", subject,
               {"engagement_id": e, "client_id": c.client_id},
               opened + rng.randint(5, 40), org, actor=actor)
    contact = opened + (rng.randint(-3, 0) if c.chance(0.03) else rng.randint(1, 60))
    for _ in range(0 if c.chance(0.1) else rng.randint(1, 6)):
        if contact >= closes:
            break
        c.emit("coaching", "EmployerContacted", subject,
               {"engagement_id": e, "client_id": c.client_id,
                "employer_id": c.region.org(rng, "employer"),
                "purpose": rng.choice(PURPOSES)}, contact, org, actor=actor)
        if c.chance(0.3):
            placement(c, e, org, actor, contact + rng.randint(7, 45), closes)
        contact += rng.randint(5, 60)
    c.emit("coaching", "CoachingEnded", subject,
           {"engagement_id": e, "client_id": c.client_id, "outcome": outcome},
           closes, org, actor=actor)


def placement(c: Client, engagement_id: str, org: str, actor: tuple[str, str], start: int,
              closes: int) -> None:
    rng = c.rng
    kind = PLACEMENT_KIND(rng)
    p = c.writer.uuid()
    subject = f"placement:{p}"
    subsidy = kind == "pay_subsidised_job" or (kind == "supported_work" and c.chance(0.5))
    c.emit("coaching", "PlacementStarted", subject,
           {"placement_id": p, "engagement_id": None if c.chance(0.05) else engagement_id,
            "client_id": c.client_id, "employer_id": c.region.org(rng, "employer"),
            "kind": kind, "hours_per_week": None if c.chance(0.2) else rng.randint(10, 40),
            "wage_subsidy": subsidy}, start, org, actor=actor)
    ends = start + rng.randint(14, 360)
    day = start + rng.randint(3, 20)
    while day < min(ends, closes + 30):
        c.emit("coaching", "FollowAlongSupportGiven", subject,
               {"placement_id": p, "client_id": c.client_id, "mode": rng.choice(MODES)},
               day, org, actor=actor)
        day += rng.randint(7, 45)
    if c.chance(0.8):
        c.emit("coaching", "PlacementEnded", subject,
               {"placement_id": p, "client_id": c.client_id, "reason": END_REASON(c.rng)},
               ends, org, actor=actor)


def fidelity_review(writer: Writer, org: str, coach: str, day: int) -> None:
    """An IPS-25 fidelity review of a coaching team (no client)."""
    rng = writer.rng
    level = rng.randint(2, 5)
    scores = {str(i): max(1, min(5, level + rng.randint(-1, 1))) for i in range(1, 26)}
    r = writer.uuid()
    writer.emit("coaching", "FidelityReviewRecorded", f"fidelity:{r}",
                {"review_id": r, "organisation_id": org, "item_scores": scores,
                 "total": sum(scores.values())},
                day * DAY + rng.randint(6 * 3600, 14 * 3600), org, "team_lead", coach)
