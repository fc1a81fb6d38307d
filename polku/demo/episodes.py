"""Episodes at the wellbeing services area: TTK assessment, physio mapping, health check,
work ability coordination — each from referral to close, with the chains that follow."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from contracts.codes import (
    AssessmentCancelReason,
    AssessmentKind,
    BenefitRecommendation,
    ExitDestination,
    ReferringOrgKind,
    Role,
    ServiceKind,
    WorkAbilityConclusion,
)
from contracts.commands import (
    AgreeSupportPlan,
    CancelAssessment,
    CompleteAssessment,
    CompleteHealthCheck,
    ReviseSupportPlan,
    StartAssessment,
)
from polku.demo.coaching import coaching_episode
from polku.demo.pathway import CLIENT, Case, ClientPathway
from polku.demo.plan import Actor, Ref
from polku.demo.regions import Category, EpisodeKind
from polku.demo.sampling import chance, weighted

TEAM_OF_EPISODE = {
    EpisodeKind.ASSESSMENT: "ttk", EpisodeKind.PHYSIO: "physio",
    EpisodeKind.HEALTH_CHECK: "hc_nurse", EpisodeKind.COORDINATION: "coordinator",
}
PLAN_SHARE = 0.85  # assumed: most TTK and coordination cases agree a support plan
REVISION_SHARE = 0.4
TRANSFER_SHARE = 0.07
FURTHER_ASSESSMENT_SHARE = 0.45  # health checks that find a need for further assessment
CHAIN_SHARE = 0.6  # of those, referred on to the TTK (pathway transitions)

BENEFITS = {BenefitRecommendation.SICKNESS_ALLOWANCE: 0.45,
            BenefitRecommendation.DISABILITY_PENSION: 0.35,
            BenefitRecommendation.REHABILITATION_ALLOWANCE: 0.20}
REHABILITATION = {
    ServiceKind.KELA_VOCATIONAL_REHABILITATION: ExitDestination.VOCATIONAL_REHABILITATION,
    ServiceKind.KELA_MEDICAL_REHABILITATION: ExitDestination.MEDICAL_REHABILITATION,
    ServiceKind.SOCIAL_REHABILITATION: ExitDestination.SOCIAL_REHABILITATION,
    ServiceKind.REHABILITATIVE_WORK_ACTIVITY: ExitDestination.REHABILITATIVE_WORK_ACTIVITY,
    ServiceKind.REHABILITATION_PSYCHOTHERAPY: ExitDestination.MEDICAL_REHABILITATION,
}
EMPLOYMENT_EXITS = {ExitDestination.EMPLOYMENT_SERVICES: 0.6, ExitDestination.JOB_COACHING: 0.25,
                    ExitDestination.EMPLOYMENT: 0.15}
OTHER_SERVICES = (ServiceKind.MENTAL_HEALTH_SUBSTANCE_SERVICES, ServiceKind.DEBT_AND_HOUSING_ADVICE,
                  ServiceKind.EDUCATION, ServiceKind.EXPERIENCE_EXPERT_SUPPORT)
OTHER_EXITS = {ExitDestination.OTHER: 0.5, ExitDestination.EDUCATION: 0.2,
               ExitDestination.MOVED_AWAY: 0.15, ExitDestination.CLIENT_DECLINED: 0.15}


class Outcome:
    """What an assessment concluded (one draw of the region's category deck per case)."""

    def __init__(self, pathway: ClientPathway, category: Category) -> None:
        rng = pathway.rng
        self.category = category
        self.benefit = BenefitRecommendation.NONE
        self.conclusion = WorkAbilityConclusion.PARTIALLY_ABLE
        self.services: list[ServiceKind] = []
        if category is Category.BENEFIT:
            self.benefit = weighted(rng, BENEFITS)
            self.conclusion = (WorkAbilityConclusion.UNABLE_LONG_TERM if chance(rng, 0.6)
                               else WorkAbilityConclusion.PARTIALLY_ABLE)
            self.services = [ServiceKind.KELA_MEDICAL_REHABILITATION] if chance(rng, 0.3) else []
            self.exit = (ExitDestination.SICK_LEAVE
                         if self.benefit is BenefitRecommendation.SICKNESS_ALLOWANCE
                         else ExitDestination.PENSION)
        elif category is Category.EMPLOYMENT:
            self.conclusion = (WorkAbilityConclusion.ABLE_TO_WORK if chance(rng, 0.4)
                               else WorkAbilityConclusion.PARTIALLY_ABLE)
            self.exit = weighted(rng, EMPLOYMENT_EXITS)
            self.services = ([ServiceKind.JOB_COACHING]
                             if self.exit is ExitDestination.JOB_COACHING
                             else [ServiceKind.EMPLOYMENT_SERVICE])
        elif category is Category.REHABILITATION:
            service = rng.choice(list(REHABILITATION))
            self.services, self.exit = [service], REHABILITATION[service]
            if service is ServiceKind.KELA_VOCATIONAL_REHABILITATION and chance(rng, 0.5):
                self.benefit = BenefitRecommendation.VOCATIONAL_REHABILITATION
        else:
            self.conclusion = (WorkAbilityConclusion.NEEDS_FURTHER_ASSESSMENT if chance(rng, 0.4)
                               else WorkAbilityConclusion.PARTIALLY_ABLE)
            self.services = [rng.choice(OTHER_SERVICES)]
            self.exit = (ExitDestination.CLIENT_DECLINED if category is Category.DROPOUT
                         else weighted(rng, OTHER_EXITS))

    def completion(self) -> dict[str, Any]:
        return {"conclusion": self.conclusion.value,
                "recommended_services": [service.value for service in self.services],
                "benefit_recommendation": self.benefit.value}


def sote_episode(pathway: ClientPathway, kind: EpisodeKind, referred: date,
                 referrer_kind: ReferringOrgKind | None = None) -> None:
    """A referral to the wellbeing services area's team for `kind`, and what follows."""
    team = pathway.region.teams[TEAM_OF_EPISODE[kind]]
    case, _ = pathway.refer(referred, kind, team.pick(pathway.rng), referrer_kind)
    if case is None:
        return
    first = max(case.opened, referred + timedelta(days=pathway.wait_days(kind, referred)))
    pathway.measure_baseline(case, first)
    if kind is EpisodeKind.HEALTH_CHECK:
        _health_check(pathway, case, first)
        return
    outcome = Outcome(pathway, pathway.region.categories.draw())
    done = _assessments(pathway, case, first, outcome)
    if done is None:  # cancelled: the client left
        closed = first + timedelta(days=pathway.rng.randint(14, 45))
        pathway.close(case, closed, ExitDestination.CLIENT_DECLINED)
        return
    if kind is EpisodeKind.PHYSIO:
        closed = done + timedelta(days=pathway.rng.randint(7, 30))
    else:
        closed = _support_plan(pathway, case, done, outcome)
    pathway.measure_after(case, closed, outcome.exit)
    pathway.close(case, closed, outcome.exit)
    pathway.feedback(case, closed, case.service)
    if outcome.exit is ExitDestination.JOB_COACHING:
        coaching_episode(pathway, closed + timedelta(days=pathway.rng.randint(7, 40)),
                         ReferringOrgKind.WELLBEING_SERVICES)


def _assessments(pathway: ClientPathway, case: Case, first: date, outcome: Outcome) -> date | None:
    """The case's assessments; the date the last one completed, or None when cancelled."""
    rng, profile, teams = pathway.rng, pathway.region.profile, pathway.region.teams
    kinds: list[tuple[AssessmentKind, Actor]] = []
    if case.kind is EpisodeKind.PHYSIO:
        kinds.append((AssessmentKind.PHYSIO_BROAD, case.holder))
    elif case.kind is EpisodeKind.ASSESSMENT:
        if chance(rng, profile.doctor_statement):
            kinds.append((AssessmentKind.DOCTOR_STATEMENT, teams["doctor"].pick(rng)))
        else:
            kinds.append((AssessmentKind.MULTIPROFESSIONAL, case.holder))
        if chance(rng, profile.physio_in_assessment):
            kinds.append((AssessmentKind.PHYSIO_BROAD, teams["physio"].pick(rng)))
    elif chance(rng, 0.3):  # coordination: some clients need a team assessment
        kinds.append((AssessmentKind.MULTIPROFESSIONAL, case.holder))
    done = first
    for index, (kind, actor) in enumerate(kinds):
        started = first + timedelta(days=rng.randint(0, 20) if index else 0)
        ref = _start(pathway, case, index, kind, actor, started, case.ref)
        if outcome.category is Category.DROPOUT:
            pathway.add(started + timedelta(days=rng.randint(7, 30)), f"{ref}.cancel",
                        "assessment", f"/assessments/{{{ref}}}/cancel", CancelAssessment,
                        {"reason": AssessmentCancelReason.CLIENT_DECLINED.value}, actor)
            return None
        completed = started + timedelta(days=rng.randint(7, 21) if kind is
                                        AssessmentKind.PHYSIO_BROAD else rng.randint(10, 45))
        pathway.add(completed, f"{ref}.complete", "assessment", f"/assessments/{{{ref}}}/complete",
                    CompleteAssessment, outcome.completion(), actor)
        done = max(done, completed)
    if kinds and chance(rng, profile.repeat_assessment):
        _repeat(pathway, case, first, outcome)
    return done


def _start(pathway: ClientPathway, case: Case, index: int, kind: AssessmentKind, actor: Actor,
           day: date, case_ref: str | None) -> str:
    ref = f"ep{case.episode}_a{index}"
    roles = {AssessmentKind.PHYSIO_BROAD: [Role.PHYSIOTHERAPIST],
             AssessmentKind.DOCTOR_STATEMENT: [Role.DOCTOR]}.get(kind)
    if roles is None:
        roles = [actor.role, Role.NURSE, Role.DOCTOR]
        roles += [role for role, share in ((Role.PHYSIOTHERAPIST, 0.6), (Role.PSYCHOLOGIST, 0.4),
                                           (Role.EMPLOYMENT_EXPERT, 0.5))
                  if chance(pathway.rng, share) and role not in roles]
    body = {"client_id": CLIENT, "case_id": None, "kind": kind.value,
            "roles": [role.value for role in roles]}
    if case_ref is not None:
        body["case_id"] = Ref(case_ref)
    pathway.add(day, f"{ref}.start", "assessment", "/assessments", StartAssessment, body, actor,
                produces=(ref, "assessment_id"))
    return ref


def _repeat(pathway: ClientPathway, case: Case, first: date, outcome: Outcome) -> None:
    """003: chained assessments of the same content — the TYP repeats the team assessment."""
    rng = pathway.rng
    actor = pathway.region.teams["mtp"].pick(rng)
    started = first + timedelta(days=rng.randint(20, 120))
    ref = _start(pathway, case, 9, AssessmentKind.MULTIPROFESSIONAL, actor, started, None)
    pathway.add(started + timedelta(days=rng.randint(14, 40)), f"{ref}.complete", "assessment",
                f"/assessments/{{{ref}}}/complete", CompleteAssessment, outcome.completion(), actor)


def _support_plan(pathway: ClientPathway, case: Case, assessed: date, outcome: Outcome) -> date:
    """Plan, review, maybe a revision and a transfer; returns the close date."""
    rng, n = pathway.rng, case.episode
    low, high = pathway.region.profile.plan_delay_days
    if not chance(rng, PLAN_SHARE):
        return assessed + timedelta(days=rng.randint(14, 60))
    agreed = assessed + timedelta(days=rng.randint(low, high))
    services = outcome.services or [ServiceKind.EMPLOYMENT_SERVICE]
    review_on = agreed + timedelta(days=rng.randint(60, 120))
    pathway.add(agreed, f"ep{n}.plan", "assessment", "/support-plans", AgreeSupportPlan,
                {"client_id": CLIENT, "case_id": _ref(case), "review_on": review_on.isoformat(),
                 "planned_services": [service.value for service in services]},
                case.holder, produces=(f"ep{n}_plan", "plan_id"))
    closed = agreed + timedelta(days=rng.randint(45, 150))
    last_planned = agreed
    if chance(rng, REVISION_SHARE):
        revised = review_on + timedelta(days=rng.randint(-14, 30))
        revised = max(revised, agreed + timedelta(days=7))
        extra = rng.choice([ServiceKind.GROUP_ACTIVITY, ServiceKind.EXPERIENCE_EXPERT_SUPPORT,
                            ServiceKind.EMPLOYMENT_SERVICE])
        planned = list(dict.fromkeys([*services, extra]))
        pathway.add(revised, f"ep{n}.revise", "assessment", f"/support-plans/{{ep{n}_plan}}/revise",
                    ReviseSupportPlan, {"planned_services": [s.value for s in planned],
                                        "review_on": (revised + timedelta(days=90)).isoformat()},
                    case.holder)
        closed = max(closed, revised + timedelta(days=rng.randint(14, 60)))
        last_planned = revised
    if chance(rng, TRANSFER_SHARE):  # after the plan's last change: the new holder closes
        transferred = last_planned + timedelta(days=rng.randint(10, 40))
        pathway.transfer(case, transferred)
        closed = max(closed, transferred + timedelta(days=rng.randint(30, 120)))
    return closed


def _health_check(pathway: ClientPathway, case: Case, checked: date) -> None:
    rng = pathway.rng
    further = chance(rng, FURTHER_ASSESSMENT_SHARE)
    pathway.add(checked, f"ep{case.episode}.health_check", "assessment", "/health-checks",
                CompleteHealthCheck, {"client_id": CLIENT, "further_assessment_needed": further},
                case.holder, produces=(f"ep{case.episode}_health_check", "health_check_id"))
    closed = checked + timedelta(days=rng.randint(3, 21))
    chained = further and chance(rng, CHAIN_SHARE)
    exit_destination = (ExitDestination.OTHER if further
                        else ExitDestination.EMPLOYMENT_SERVICES if chance(rng, 0.7)
                        else ExitDestination.OTHER)
    pathway.close(case, closed, exit_destination)
    pathway.feedback(case, closed, case.service)
    if chained:
        sote_episode(pathway, EpisodeKind.ASSESSMENT, closed + timedelta(days=rng.randint(7, 45)),
                     ReferringOrgKind.WELLBEING_SERVICES)


def _ref(case: Case) -> Ref:
    return Ref(case.ref)
