"""One generated client: who they are, where they live, and the helpers every part of their
pathway uses to date and write events (measurements, feedback, consultations)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from bench.scale.world import DAY, Region, Weighted, World, Writer
from contracts.codes import ConsultationTopic, KykyviisariDomain, LabourMarketStatus

ROLES_BY_KIND: dict[str, tuple[str, ...]] = {
    "wellbeing_services": ("social_worker", "nurse", "public_health_nurse", "doctor",
                           "physiotherapist", "psychologist", "social_counsellor"),
    "employment_services": ("employment_expert", "job_coach"),
    "kela": ("kela_expert",),
    "multisectoral_service": ("work_ability_coordinator", "employment_expert",
                              "social_worker"),
    "ngo": ("job_coach", "experience_expert", "social_counsellor"),
    "education": ("social_counsellor",),
    "employer": ("admin",),
}
ASSESSMENT_ROLES = ("doctor", "nurse", "physiotherapist", "psychologist", "social_worker",
                    "occupational_therapist", "work_ability_coordinator")
LABOUR_BASELINE = Weighted({"unemployed": 70, "in_employment_services": 12,
                            "rehabilitation": 6, "sick_leave": 5, "outside_labour_force": 4,
                            "other": 3})
LABOUR_LATER = Weighted({s.value: w for s, w in zip(LabourMarketStatus, (
    30, 14, 10, 8, 4, 8, 8, 4, 4, 5, 5), strict=True)})
TOPICS = tuple(t.value for t in ConsultationTopic)
DOMAINS = tuple(d.value for d in KykyviisariDomain)


@dataclass
class Client:
    """A client's identity, home region and the clock of their pathway."""

    writer: Writer
    world: World
    region: Region
    client_id: str
    registrar: str = ""
    baseline_score: int = 5
    consent_orgs: list[str] = field(default_factory=list)

    @property
    def rng(self) -> random.Random:
        return self.writer.rng

    def at(self, day: int) -> int:
        """An instant during office hours of business day `day` (Finnish time 8–17)."""
        return day * DAY + self.rng.randint(6 * 3600, 14 * 3600)

    def actor(self, org: str) -> tuple[str, str]:
        """A professional of `org` and their role."""
        roles = ROLES_BY_KIND.get(self.world.kind_of.get(org, ""), ("social_worker",))
        return self.world.worker(self.rng, org), self.rng.choice(roles)

    def emit(self, service: str, type_: str, subject: str, data: dict[str, Any], day: int,
             org: str, *, recorded: int | None = None, at: int | None = None,
             actor: tuple[str, str] | None = None) -> int:
        worker, role = actor or self.actor(org)
        return self.writer.emit(service, type_, subject, data,
                                self.at(day) if at is None else at, org, role, worker,
                                recorded=recorded)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def score(self, phase: str, day: int, org: str) -> None:
        """A work ability score: baseline, then a change that is more often up than down."""
        rng = self.rng
        if phase == "baseline":
            value = self.baseline_score
        else:
            gain = rng.choice((-2, -1, -1, 0, 0, 0, 1, 1, 1, 2, 2, 3))
            value = min(10, max(0, self.baseline_score + gain + (phase == "follow_up")))
        m = self.writer.uuid()
        self.emit("assessment", "WorkAbilityScoreRecorded", f"measurement:{m}",
                  {"measurement_id": m, "client_id": self.client_id, "score": value,
                   "phase": phase}, day, org)

    def self_assessment(self, phase: str, day: int, org: str) -> None:
        rng = self.rng
        base = self.baseline_score + (0 if phase == "baseline" else rng.uniform(-1.5, 2.5))
        domains = {d: round(min(10.0, max(0.0, base + rng.uniform(-2, 2))), 1)
                   for d in rng.sample(DOMAINS, rng.randint(3, len(DOMAINS)))}
        overall = None if self.chance(0.1) else round(min(10.0, max(0.0, base)), 1)
        m = self.writer.uuid()
        self.emit("assessment", "SelfAssessmentRecorded", f"measurement:{m}",
                  {"measurement_id": m, "client_id": self.client_id,
                   "instrument": "kykyviisari", "phase": phase, "domain_scores": domains,
                   "overall": overall}, day, org)

    def labour_status(self, phase: str, day: int, org: str) -> None:
        status = (LABOUR_BASELINE if phase == "baseline" else LABOUR_LATER)(self.rng)
        m = self.writer.uuid()
        self.emit("assessment", "LabourMarketStatusRecorded", f"measurement:{m}",
                  {"measurement_id": m, "client_id": self.client_id, "phase": phase,
                   "status": status}, day, org)

    def measure(self, phase: str, day: int, org: str, p_score: float, p_self: float,
                p_status: float) -> None:
        """Some of the three instruments around `day`, each on a day of its own."""
        rng = self.rng
        if self.chance(p_score):
            self.score(phase, day + rng.randint(-3, 5), org)
        if self.chance(p_self):
            self.self_assessment(phase, day + rng.randint(-3, 10), org)
        if self.chance(p_status):
            self.labour_status(phase, day + rng.randint(-3, 10), org)

    def feedback(self, day: int, org: str, service: str) -> None:
        rng = self.rng
        anonymous = self.chance(0.15)
        f = self.writer.uuid()
        score = min(10, max(0, round(rng.gauss(7.6, 2.0))))
        self.emit("referral", "ClientFeedbackGiven", f"feedback:{f}",
                  {"feedback_id": f, "client_id": None if anonymous else self.client_id,
                   "organisation_id": org, "service": service, "score": score,
                   "felt_heard": None if self.chance(0.1) else self.chance(0.8),
                   "helped": None if self.chance(0.1) else self.chance(0.55 + score / 40)},
                  day, org)

    def consultation(self, day: int, org: str) -> None:
        """The case's team asks another organisation of the region for advice."""
        rng = self.rng
        consultant = self.region.org(rng, rng.choice(("kela", "wellbeing_services",
                                                      "multisectoral_service", "ngo")))
        role = self.actor(org)[1]
        c = self.writer.uuid()
        self.emit("assessment", "ConsultationGiven", f"consultation:{c}",
                  {"consultation_id": c,
                   "client_id": None if self.chance(0.2) else self.client_id,
                   "requesting_organisation_id": org,
                   "requesting_org_kind": self.world.kind_of[org], "requester_role": role,
                   "consultant_organisation_id": consultant,
                   "consultant_role": self.actor(consultant)[1], "topic": rng.choice(TOPICS)},
                  day, consultant)
