"""The assessment part of a case: assessments (some cancelled, some repeated, some by another
organisation), health checks, measurements and the support plan with its revisions."""

from __future__ import annotations

from bench.scale.client import ASSESSMENT_ROLES, Client
from bench.scale.world import Weighted, day_text
from contracts.codes import AssessmentCancelReason, ServiceKind

ASSESSMENT_SERVICES = frozenset({"work_ability_assessment", "work_ability_coordination",
                                 "health_check", "physical_function_mapping"})
PLANNED_SERVICES = frozenset({"work_ability_assessment", "work_ability_coordination"})
KIND_BY_SERVICE = {
    "work_ability_assessment": Weighted({"multiprofessional": 70, "doctor_statement": 10,
                                         "psychologist": 10, "occupational_therapy": 10}),
    "work_ability_coordination": Weighted({"multiprofessional": 60,
                                           "work_trial_assessment": 25,
                                           "doctor_statement": 15}),
    "health_check": Weighted({"health_check": 1}),
    "physical_function_mapping": Weighted({"physio_broad": 60, "physio_narrow": 40}),
}
CONCLUSION = Weighted({"able_to_work": 20, "partially_able": 45, "unable_long_term": 15,
                       "needs_further_assessment": 20})
BENEFIT = Weighted({"none": 55, "sickness_allowance": 12, "rehabilitation_allowance": 12,
                    "disability_pension": 8, "vocational_rehabilitation": 13})
CANCEL_REASONS = tuple(r.value for r in AssessmentCancelReason)
SERVICES = tuple(s.value for s in ServiceKind)


def assessment(c: Client, case_id: str | None, org: str, kind: str, day: int) -> bool:
    """Start one assessment; complete it, cancel it or leave it open. True if cancelled."""
    rng = c.rng
    a = c.writer.uuid()
    subject = f"assessment:{a}"
    c.emit("assessment", "AssessmentStarted", subject,
           {"assessment_id": a, "client_id": c.client_id, "case_id": case_id,
            "organisation_id": org, "kind": kind,
            "roles": rng.sample(ASSESSMENT_ROLES, rng.randint(1, 3))}, day, org)
    x = rng.random()
    if x < 0.82:
        c.emit("assessment", "AssessmentCompleted", subject,
               {"assessment_id": a, "client_id": c.client_id, "conclusion": CONCLUSION(rng),
                "recommended_services": rng.sample(SERVICES, rng.randint(0, 3)),
                "benefit_recommendation": BENEFIT(rng)}, day + rng.randint(3, 60), org)
        return False
    if x < 0.92:
        c.emit("assessment", "AssessmentCancelled", subject,
               {"assessment_id": a, "client_id": c.client_id,
                "reason": rng.choice(CANCEL_REASONS)}, day + rng.randint(1, 30), org)
        return True
    return False  # still open, or forgotten


def assess_case(c: Client, case_id: str, org: str, service: str, opened: int,
                closes: int) -> None:
    """Everything the assessment service records about one assessment case."""
    rng = c.rng
    start = opened + min(rng.randint(5, 90), max(closes - opened - 5, 0))
    c.measure("baseline", start, org, 0.85, 0.45, 0.75)
    kind = KIND_BY_SERVICE[service](rng)
    by = org if c.chance(0.9) else c.region.org(rng, "wellbeing_services")
    if assessment(c, case_id, by, kind, start) and c.chance(0.6):
        assessment(c, case_id, org, kind, start + rng.randint(10, 60))
    if c.chance(0.1):  # the same assessment again, often by another organisation
        other = c.region.org(rng, rng.choice(("wellbeing_services", "multisectoral_service")))
        assessment(c, None, other, kind, start + rng.randint(0, 170))
    if service == "health_check" or c.chance(0.1):
        h = c.writer.uuid()
        c.emit("assessment", "HealthCheckCompleted", f"healthcheck:{h}",
               {"health_check_id": h, "client_id": c.client_id, "organisation_id": org,
                "further_assessment_needed": c.chance(0.35)}, start + rng.randint(0, 20), org)
    if c.chance(0.2):
        c.measure("interim", (start + closes) // 2, org, 0.8, 0.3, 0.4)
    if c.chance(0.25):
        c.consultation(start + rng.randint(0, 40), org)
    if c.chance(0.75 if service in PLANNED_SERVICES else 0.2):
        plan(c, case_id, org, start + rng.randint(10, 75), closes)


def plan(c: Client, case_id: str, org: str, day: int, closes: int) -> None:
    """A support plan, revised at some of its reviews while the case runs."""
    rng = c.rng
    p = c.writer.uuid()
    review = day + rng.randint(60, 180)
    c.emit("assessment", "SupportPlanAgreed", f"plan:{p}",
           {"plan_id": p, "client_id": c.client_id, "case_id": case_id,
            "planned_services": rng.sample(SERVICES, rng.randint(1, 3)),
            "review_on": day_text(review)}, day, org)
    while review < closes and c.chance(0.5):
        day, review = review + rng.randint(-5, 10), review + rng.randint(60, 180)
        c.emit("assessment", "SupportPlanRevised", f"plan:{p}",
               {"plan_id": p, "client_id": c.client_id,
                "planned_services": rng.sample(SERVICES, rng.randint(1, 3)),
                "review_on": day_text(review)}, day, org)
