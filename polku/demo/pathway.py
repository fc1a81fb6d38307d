"""One client's pathway under construction: referrals, cases, measurements, feedback."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from contracts.codes import (
    DeclineReason,
    ExitDestination,
    KykyviisariDomain,
    LabourMarketStatus,
    MeasurementPhase,
    ReferralReason,
    ReferringOrgKind,
    Role,
    ServiceKind,
    Triage,
)
from contracts.commands import (
    AcceptReferral,
    CloseCase,
    Command,
    DeclineReferral,
    GiveFeedback,
    MakeReferral,
    RecordLabourMarketStatus,
    RecordSelfAssessment,
    RecordWorkAbilityScore,
    TransferResponsibility,
    WithdrawReferral,
)
from polku.demo.people import Team
from polku.demo.plan import Actor, Ref, ServiceName, Step
from polku.demo.regions import (
    Category,
    CoachingOutcome,
    CoachingTeam,
    EpisodeKind,
    RegionProfile,
)
from polku.demo.sampling import Deck, chance, lognormal_days, weighted, workday

CLIENT = Ref("client")

TARGET_SERVICE: Mapping[EpisodeKind, ServiceKind] = {
    EpisodeKind.ASSESSMENT: ServiceKind.WORK_ABILITY_ASSESSMENT,
    EpisodeKind.PHYSIO: ServiceKind.PHYSICAL_FUNCTION_MAPPING,
    EpisodeKind.HEALTH_CHECK: ServiceKind.HEALTH_CHECK,
    EpisodeKind.COORDINATION: ServiceKind.WORK_ABILITY_COORDINATION,
    EpisodeKind.COACHING: ServiceKind.JOB_COACHING,
}
REASONS: Mapping[EpisodeKind, Mapping[ReferralReason, float]] = {
    EpisodeKind.ASSESSMENT: {
        ReferralReason.SUSPECTED_REDUCED_WORK_ABILITY: 0.4, ReferralReason.MENTAL_HEALTH: 0.15,
        ReferralReason.PHYSICAL_HEALTH: 0.15, ReferralReason.LONG_TERM_UNEMPLOYMENT: 0.15,
        ReferralReason.SUBSTANCE_USE: 0.05, ReferralReason.BENEFIT_CLARIFICATION: 0.05,
        ReferralReason.UNCLEAR_SERVICE_NEED: 0.05},
    EpisodeKind.PHYSIO: {
        ReferralReason.PHYSICAL_HEALTH: 0.7, ReferralReason.SUSPECTED_REDUCED_WORK_ABILITY: 0.3},
    EpisodeKind.HEALTH_CHECK: {
        ReferralReason.LONG_TERM_UNEMPLOYMENT: 0.5, ReferralReason.PHYSICAL_HEALTH: 0.2,
        ReferralReason.SUSPECTED_REDUCED_WORK_ABILITY: 0.3},
    EpisodeKind.COORDINATION: {
        ReferralReason.SUSPECTED_REDUCED_WORK_ABILITY: 0.3, ReferralReason.MENTAL_HEALTH: 0.2,
        ReferralReason.UNCLEAR_SERVICE_NEED: 0.2, ReferralReason.LONG_TERM_UNEMPLOYMENT: 0.2,
        ReferralReason.NEURODEVELOPMENTAL: 0.1},
    EpisodeKind.COACHING: {
        ReferralReason.LONG_TERM_UNEMPLOYMENT: 0.4, ReferralReason.DISABILITY: 0.25,
        ReferralReason.MENTAL_HEALTH: 0.15, ReferralReason.NEURODEVELOPMENTAL: 0.1,
        ReferralReason.IMMIGRANT_INTEGRATION: 0.1},
}
TRIAGE: Mapping[EpisodeKind, Mapping[Triage, float]] = {
    EpisodeKind.ASSESSMENT: {Triage.RED: 0.6, Triage.YELLOW: 0.35, Triage.GREEN: 0.05},
    EpisodeKind.PHYSIO: {Triage.RED: 0.5, Triage.YELLOW: 0.45, Triage.GREEN: 0.05},
    EpisodeKind.HEALTH_CHECK: {Triage.GREEN: 0.5, Triage.YELLOW: 0.4, Triage.RED: 0.1},
    EpisodeKind.COORDINATION: {Triage.YELLOW: 0.6, Triage.RED: 0.3, Triage.GREEN: 0.1},
    EpisodeKind.COACHING: {Triage.GREEN: 0.5, Triage.YELLOW: 0.4, Triage.RED: 0.1},
}
DECLINES: Mapping[DeclineReason, float] = {
    DeclineReason.NOT_TARGET_GROUP: 0.3, DeclineReason.REDIRECTED: 0.3,
    DeclineReason.NO_CAPACITY: 0.15, DeclineReason.CLIENT_DECLINED: 0.15,
    DeclineReason.DUPLICATE: 0.1,
}
REDIRECTS = (ServiceKind.EMPLOYMENT_SERVICE, ServiceKind.SOCIAL_REHABILITATION,
             ServiceKind.MENTAL_HEALTH_SUBSTANCE_SERVICES, ServiceKind.HEALTH_CHECK,
             ServiceKind.KELA_VOCATIONAL_REHABILITATION, ServiceKind.JOB_COACHING)
BASELINE_STATUS: Mapping[LabourMarketStatus, float] = {
    LabourMarketStatus.UNEMPLOYED: 0.70, LabourMarketStatus.IN_EMPLOYMENT_SERVICES: 0.20,
    LabourMarketStatus.SICK_LEAVE: 0.04, LabourMarketStatus.REHABILITATION: 0.03,
    LabourMarketStatus.OUTSIDE_LABOUR_FORCE: 0.03,
}
STATUS_AFTER_EXIT: Mapping[ExitDestination, LabourMarketStatus] = {
    ExitDestination.EMPLOYMENT: LabourMarketStatus.OPEN_MARKET_JOB,
    ExitDestination.EDUCATION: LabourMarketStatus.EDUCATION,
    ExitDestination.SICK_LEAVE: LabourMarketStatus.SICK_LEAVE,
    ExitDestination.PENSION: LabourMarketStatus.PENSION,
    ExitDestination.MEDICAL_REHABILITATION: LabourMarketStatus.REHABILITATION,
    ExitDestination.VOCATIONAL_REHABILITATION: LabourMarketStatus.REHABILITATION,
    ExitDestination.SOCIAL_REHABILITATION: LabourMarketStatus.REHABILITATION,
    ExitDestination.REHABILITATIVE_WORK_ACTIVITY: LabourMarketStatus.IN_EMPLOYMENT_SERVICES,
    ExitDestination.EMPLOYMENT_SERVICES: LabourMarketStatus.IN_EMPLOYMENT_SERVICES,
    ExitDestination.JOB_COACHING: LabourMarketStatus.IN_EMPLOYMENT_SERVICES,
}
SCORE_RESPONSES = {10: 0.25, 9: 0.25, 8: 0.2, 7: 0.12, 6: 0.07, 5: 0.05, 4: 0.03, 3: 0.03}
FEEDBACK_RESPONSE = 0.45
COACHING_HELPED = 0.4  # 002: about 40 % of surveyed clients said coaching helped


@dataclass
class RegionContext:
    """A region's calibration with its decks (exact shares) and teams, shared by its clients."""

    profile: RegionProfile
    teams: dict[str, Team]
    episodes: Deck[EpisodeKind]
    referrers: Deck[ReferringOrgKind]
    categories: Deck[Category]
    decisions: Deck[str]
    coaching_teams: Deck[CoachingTeam]
    coaching_outcomes: dict[str, Deck[CoachingOutcome]]

    def employers(self) -> list[str]:
        return [self.profile.org(f"employer-{n}") for n in range(1, 6)]


@dataclass
class Case:
    """What later steps need of an accepted referral."""

    episode: int
    kind: EpisodeKind
    ref: str
    opened: date
    holder: Actor
    service: ServiceKind


@dataclass
class Draft:
    day: date
    seq: int
    fields: dict[str, Any]


@dataclass
class ClientPathway:
    """Collects one client's steps; `finalise` orders them, times them and drops the future."""

    region: RegionContext
    rng: random.Random
    until: date
    drafts: list[Draft] = field(default_factory=list)
    acting_orgs: set[str] = field(default_factory=set)
    episodes: int = 0
    baseline_score: int | None = None
    kykyviisari_domains: tuple[KykyviisariDomain, ...] = ()
    kykyviisari_level: float | None = None

    def add(self, day: date, key: str, service: ServiceName, path: str, command: type[Command],
            body: Mapping[str, Any], actor: Actor, **extra: Any) -> None:
        if service != "referral":
            self.acting_orgs.add(actor.org)
        self.drafts.append(Draft(workday(day), len(self.drafts), {
            "key": key, "service": service, "path": path, "command": command,
            "body": dict(body), "actor": actor, **extra}))

    def finalise(self, head: list[Draft]) -> tuple[Step, ...]:
        """Head (registration, consents) first on its day; eight working hours per day."""
        ordered = sorted(head + self.drafts, key=lambda d: (d.day, d.seq))
        steps: list[Step] = []
        per_day: dict[date, int] = {}
        for draft in ordered:
            if draft.day > self.until:
                break
            rank = per_day.get(draft.day, 0)
            per_day[draft.day] = rank + 1
            at = datetime.combine(draft.day, time(6, 30), tzinfo=UTC) + timedelta(minutes=3 * rank)
            steps.append(Step(occurred_at=at, **draft.fields))
        return tuple(steps)

    # Referrals and cases -------------------------------------------------------------------

    def referrer(self, kind: ReferringOrgKind, target: Actor) -> Actor:
        teams = self.region.teams
        by_kind = {
            ReferringOrgKind.EMPLOYMENT_SERVICES: "employment",
            ReferringOrgKind.WELLBEING_SERVICES: "health_station",
            ReferringOrgKind.MULTISECTORAL_SERVICE: "mtp",
            ReferringOrgKind.KELA: "kela",
            ReferringOrgKind.NGO: "ngo",
            ReferringOrgKind.EDUCATION: "college",
        }
        if kind is ReferringOrgKind.CLIENT_SELF:
            return target  # a self-referral is recorded by the receiving professional
        actor = teams[by_kind[kind]].pick(self.rng)
        if actor.org == target.org and target.org.endswith(("-employment", "-ngo", "-mtp")):
            other = "employment" if target.org.endswith("-mtp") else "mtp"
            actor = teams[other].pick(self.rng)
        return actor

    def refer(self, day: date, kind: EpisodeKind, target: Actor,
              referrer_kind: ReferringOrgKind | None = None) -> tuple[Case | None, Actor]:
        """A referral to `target`'s team and its decision; the case when it is accepted."""
        n = self.episodes
        self.episodes += 1
        referrer_kind = referrer_kind or self.region.referrers.draw()
        referrer = self.referrer(referrer_kind, target)
        self.add(day, f"ep{n}.referral", "referral", "/referrals", MakeReferral,
                 self._referral_body(kind, target.org, referrer_kind), referrer,
                 produces=(f"ep{n}_referral", "referral_id"))
        decision = self.region.decisions.draw()
        if decision == "withdraw" and referrer_kind is ReferringOrgKind.CLIENT_SELF:
            decision = "decline"
        path = f"/referrals/{{ep{n}_referral}}"
        if decision == "withdraw":
            self.add(day + timedelta(days=self.rng.randint(3, 30)), f"ep{n}.withdraw", "referral",
                     path + "/withdraw", WithdrawReferral, {}, referrer)
            return None, referrer
        if decision == "decline":
            reason = weighted(self.rng, DECLINES)
            redirect = self.rng.choice(REDIRECTS) if reason is DeclineReason.REDIRECTED else None
            self.add(day + timedelta(days=self.rng.randint(2, 30)), f"ep{n}.decline", "referral",
                     path + "/decline", DeclineReferral,
                     {"reason": reason.value,
                      "redirected_service": redirect.value if redirect else None}, target)
            return None, referrer
        opened = day + timedelta(days=self.decision_delay(kind, day))
        self.add(opened, f"ep{n}.accept", "referral", path + "/accept", AcceptReferral,
                 {"responsible_worker_id": str(target.sub)}, target,
                 produces=(f"ep{n}_case", "case_id"))
        return Case(n, kind, f"ep{n}_case", workday(opened), target, TARGET_SERVICE[kind]), referrer

    def _referral_body(self, kind: EpisodeKind, target_org: str,
                       referrer_kind: ReferringOrgKind) -> dict[str, Any]:
        weights = REASONS[kind]
        reasons = [weighted(self.rng, weights)]
        for _ in range(self.rng.choice((0, 0, 1, 1, 2))):
            extra = self.rng.choice(list(ReferralReason))
            if extra not in reasons:
                reasons.append(extra)
        triage = (weighted(self.rng, TRIAGE[kind]).value
                  if chance(self.rng, self.region.profile.triage_given) else None)
        months = (lognormal_days(self.rng, 20, 0.9, 240) if chance(self.rng, 0.85) else None)
        body: dict[str, Any] = {
            "client_id": CLIENT, "target_organisation_id": target_org,
            "target_service": TARGET_SERVICE[kind].value,
            "reasons": [reason.value for reason in reasons],
            "triage": triage, "unemployment_months": months,
        }
        if referrer_kind is ReferringOrgKind.CLIENT_SELF:
            body["referring_org_kind"] = referrer_kind.value
        return body

    def wait_days(self, kind: EpisodeKind, referred: date) -> int:
        """Referral to first assessment; 002: half a year to nearly a year at worst."""
        profile = self.region.profile
        median = profile.wait_median_days
        if profile.early_wait_median_days and referred.year < 2025:
            median = profile.early_wait_median_days
        if kind in (EpisodeKind.HEALTH_CHECK, EpisodeKind.COACHING):
            median = min(median, 30.0)
        return max(1, lognormal_days(self.rng, median, 0.45, 330))

    def decision_delay(self, kind: EpisodeKind, referred: date) -> int:
        # The physiotherapy queue of 002 (70 clients at the start) held referrals undecided.
        if kind is EpisodeKind.PHYSIO and self.region.profile.early_wait_median_days:
            return max(1, self.wait_days(kind, referred) - self.rng.randint(0, 14))
        return self.rng.randint(1, 14)

    def transfer(self, case: Case, day: date) -> None:
        """Responsibility handed to the multisectoral service (TYP), which then holds the case."""
        to = self.region.teams["mtp"].pick(self.rng)
        self.add(day, f"ep{case.episode}.transfer", "referral",
                 f"/cases/{{{case.ref}}}/transfer", TransferResponsibility,
                 {"to_organisation_id": to.org, "to_worker_id": str(to.sub)}, case.holder)
        case.holder = to

    def close(self, case: Case, day: date, exit_destination: ExitDestination) -> None:
        self.add(day, f"ep{case.episode}.close", "referral", f"/cases/{{{case.ref}}}/close",
                 CloseCase, {"exit_destination": exit_destination.value}, case.holder)

    def feedback(self, case: Case, day: date, service: ServiceKind) -> None:
        if not chance(self.rng, FEEDBACK_RESPONSE):
            return
        helped = COACHING_HELPED if service is ServiceKind.JOB_COACHING else 0.6
        self.add(day, f"ep{case.episode}.feedback", "referral", "/feedback", GiveFeedback, {
            "client_id": None if chance(self.rng, 0.3) else CLIENT,
            "organisation_id": case.holder.org, "service": service.value,
            "score": weighted(self.rng, SCORE_RESPONSES),
            "felt_heard": chance(self.rng, 0.8) if chance(self.rng, 0.9) else None,
            "helped": chance(self.rng, helped) if chance(self.rng, 0.9) else None,
        }, case.holder)

    # Measurements -----------------------------------------------------------------------------

    def measure_baseline(self, case: Case, day: date) -> None:
        measures = self.region.profile.measures
        n = case.episode
        if chance(self.rng, measures.baseline_score):
            self.baseline_score = _clip(round(self.rng.gauss(5.2, 1.9)))
            self._score(n, "baseline", day, self.baseline_score, case.holder)
        if chance(self.rng, measures.kykyviisari):
            self.kykyviisari_domains = self._kykyviisari_domains()
            self.kykyviisari_level = self.rng.gauss(5.3, 1.6)
            self._self_assessment(n, "baseline", day, case.holder)
        if chance(self.rng, measures.labour_market):
            status = weighted(self.rng, BASELINE_STATUS)
            self._status(n, "baseline", day, status, case.holder)

    def measure_after(self, case: Case, closed: date, exit_destination: ExitDestination,
                      end_status: LabourMarketStatus | None = None) -> None:
        """End measurements at the close; a follow-up 3–6 months later only sometimes (002)."""
        measures = self.region.profile.measures
        n = case.episode
        end_score = None
        if self.baseline_score is not None and chance(self.rng, measures.end_given_baseline):
            end_score = _clip(self.baseline_score + round(self.rng.gauss(0.5, 1.3)))
        elif self.baseline_score is None and chance(self.rng, measures.end_only):
            end_score = _clip(round(self.rng.gauss(5.6, 1.9)))
        if end_score is not None:
            self._score(n, "end", closed, end_score, case.holder)
        if self.kykyviisari_level is not None and chance(self.rng, 0.5):
            self.kykyviisari_level += self.rng.gauss(0.4, 1.0)
            self._self_assessment(n, "end", closed, case.holder)
        status = end_status or STATUS_AFTER_EXIT.get(exit_destination,
                                                     LabourMarketStatus.UNEMPLOYED)
        if chance(self.rng, measures.labour_market * 0.8):
            self._status(n, "end", closed, status, case.holder)
        if end_score is not None and chance(self.rng, measures.follow_up):
            later = closed + timedelta(days=self.rng.randint(90, 180))
            self._score(n, "follow_up", later, _clip(end_score + round(self.rng.gauss(0.1, 1))),
                        case.holder)
            if chance(self.rng, 0.6):
                self._status(n, "follow_up", later, status, case.holder)

    def _kykyviisari_domains(self) -> tuple[KykyviisariDomain, ...]:
        every = tuple(KykyviisariDomain)
        if chance(self.rng, self.region.profile.measures.kykyviisari_full):
            return every
        return tuple(sorted(self.rng.sample(every, self.rng.randint(2, 4))))

    def _score(self, n: int, phase: str, day: date, score: int, actor: Actor) -> None:
        self.add(day, f"ep{n}.score.{phase}", "assessment",
                 "/clients/{client}/work-ability-scores", RecordWorkAbilityScore,
                 {"score": score, "phase": MeasurementPhase(phase).value}, actor)

    def _self_assessment(self, n: int, phase: str, day: date, actor: Actor) -> None:
        level = self.kykyviisari_level or 5.0
        scores = {domain.value: round(min(10.0, max(0.0, self.rng.gauss(level, 1.2))), 1)
                  for domain in self.kykyviisari_domains}
        full = len(scores) == len(KykyviisariDomain)
        overall = (round(sum(scores.values()) / len(scores), 1)
                   if full or chance(self.rng, 0.4) else None)
        self.add(day, f"ep{n}.kykyviisari.{phase}", "assessment",
                 "/clients/{client}/self-assessments", RecordSelfAssessment,
                 {"instrument": "kykyviisari", "phase": phase, "domain_scores": scores,
                  "overall": overall}, actor)

    def _status(self, n: int, phase: str, day: date, status: LabourMarketStatus,
                actor: Actor) -> None:
        self.add(day, f"ep{n}.status.{phase}", "assessment",
                 "/clients/{client}/labour-market-status", RecordLabourMarketStatus,
                 {"status": status.value, "phase": phase}, actor)


def _clip(score: int) -> int:
    return max(0, min(10, score))


ROLE_OF_TEAM: Mapping[str, Role] = {
    "ttk": Role.SOCIAL_WORKER, "physio": Role.PHYSIOTHERAPIST, "doctor": Role.DOCTOR,
    "hc_nurse": Role.PUBLIC_HEALTH_NURSE, "coordinator": Role.WORK_ABILITY_COORDINATOR,
    "health_station": Role.NURSE, "employment": Role.EMPLOYMENT_EXPERT,
    "mtp": Role.EMPLOYMENT_EXPERT, "kela": Role.KELA_EXPERT, "ngo": Role.SOCIAL_COUNSELLOR,
    "college": Role.SOCIAL_COUNSELLOR,
}
