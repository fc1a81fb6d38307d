"""One client's whole pathway: registration, consents, referrals (accepted, declined and
redirected, withdrawn, left waiting, repeated), cases with transfers, their assessment or
coaching part, the exit with its measurements, feedback and follow-up, and the next step."""

from __future__ import annotations

from dataclasses import dataclass

from bench.scale.assessment import ASSESSMENT_SERVICES, assess_case
from bench.scale.client import Client
from bench.scale.coaching import COACHING_KINDS, engagement
from bench.scale.world import Weighted, World, Writer, day_text, pick_some
from contracts.codes import DeclineReason, ReferralReason

TARGET_SERVICE = Weighted({
    "work_ability_assessment": 30, "work_ability_coordination": 18, "health_check": 10,
    "physical_function_mapping": 5, "job_coaching": 12, "social_rehabilitation": 4,
    "rehabilitative_work_activity": 3, "experience_expert_support": 2, "group_activity": 2,
    "employment_service": 4, "kela_vocational_rehabilitation": 2,
    "kela_medical_rehabilitation": 1, "rehabilitation_psychotherapy": 1,
    "mental_health_substance_services": 3, "education": 1, "debt_and_housing_advice": 2})
REFERRER = Weighted({"employment_services": 35, "wellbeing_services": 25,
                     "multisectoral_service": 10, "kela": 8, "client_self": 8, "ngo": 6,
                     "education": 3})
# Which kind of organisation of the region provides a service.
PROVIDER = {
    "work_ability_assessment": Weighted({"wellbeing_services": 1}),
    "work_ability_coordination": Weighted({"wellbeing_services": 70,
                                           "multisectoral_service": 30}),
    "job_coaching": Weighted({"employment_services": 50, "ngo": 30,
                              "multisectoral_service": 20}),
    "employment_service": Weighted({"employment_services": 70, "multisectoral_service": 30}),
    "kela_vocational_rehabilitation": Weighted({"kela": 1}),
    "kela_medical_rehabilitation": Weighted({"kela": 1}),
    "rehabilitation_psychotherapy": Weighted({"kela": 1}),
    "rehabilitative_work_activity": Weighted({"ngo": 60, "employment_services": 40}),
    "experience_expert_support": Weighted({"ngo": 1}),
    "group_activity": Weighted({"ngo": 1}),
    "debt_and_housing_advice": Weighted({"ngo": 1}),
    "social_rehabilitation": Weighted({"wellbeing_services": 60, "ngo": 40}),
    "education": Weighted({"education": 1}),
}
EXIT = Weighted({"employment": 10, "education": 5, "social_rehabilitation": 7,
                 "rehabilitative_work_activity": 7, "medical_rehabilitation": 6,
                 "employment_services": 15, "job_coaching": 16, "vocational_rehabilitation": 8,
                 "sick_leave": 5, "pension": 5, "moved_away": 2, "client_declined": 5,
                 "other": 4})
COACHING_EXIT = Weighted({"employment": 38, "education": 12, "employment_services": 20,
                          "rehabilitative_work_activity": 6, "vocational_rehabilitation": 6,
                          "sick_leave": 4, "client_declined": 8, "other": 6})
NEXT_SERVICE = {"job_coaching": "job_coaching", "employment_services": "employment_service",
                "vocational_rehabilitation": "kela_vocational_rehabilitation",
                "medical_rehabilitation": "kela_medical_rehabilitation",
                "social_rehabilitation": "social_rehabilitation",
                "rehabilitative_work_activity": "rehabilitative_work_activity",
                "education": "education"}
REASONS = tuple(r.value for r in ReferralReason)
DECLINE = Weighted({r.value: w for r, w in zip(DeclineReason, (30, 20, 15, 10, 20, 5),
                                               strict=True)})
MAX_REFERRALS = 5


@dataclass
class Referral:
    referral_id: str
    day: int
    service: str
    target: str
    referrer_kind: str


def provider(c: Client, service: str) -> str:
    kind = PROVIDER.get(service, Weighted({"wellbeing_services": 1}))(c.rng)
    return c.region.org(c.rng, kind)


def register(c: Client, day: int, org: str) -> None:
    rng = c.rng
    c.registrar = org
    birth = int(day_text(day)[:4]) - rng.randint(18, 64)
    c.emit("referral", "ClientRegistered", f"client:{c.client_id}",
           {"client_id": c.client_id, "birth_year": birth, "sex": rng.choice(("female", "male")),
            "home_region": c.region.code}, day, org)


def consent(c: Client, day: int, org: str, names: list[str]) -> None:
    """The referrer (or the receiving team) records a consent the client gave; some later
    withdraw it."""
    rng = c.rng
    research = not names
    k = c.writer.uuid()
    subject = f"client:{c.client_id}"
    c.emit("referral", "ConsentGiven", subject,
           {"client_id": c.client_id, "consent_id": k,
            "scope": "research" if research else "data_sharing", "organisation_ids": names,
            "valid_until": None if c.chance(0.5) else day_text(day + rng.randint(365, 1100))},
           day, org)
    if c.chance(0.04):
        c.emit("referral", "ConsentWithdrawn", subject,
               {"client_id": c.client_id, "consent_id": k}, day + rng.randint(10, 500), org)


def refer(c: Client, day: int, service: str, referrer_kind: str) -> Referral:
    rng = c.rng
    r = c.writer.uuid()
    target = provider(c, service)
    referrer = None if referrer_kind == "client_self" else c.region.org(rng, referrer_kind)
    if not c.registrar:
        register(c, day, referrer or target)
    c.emit("referral", "ReferralMade", f"referral:{r}",
           {"referral_id": r, "client_id": c.client_id, "referring_organisation_id": referrer,
            "referring_org_kind": referrer_kind, "target_organisation_id": target,
            "target_service": service, "reasons": pick_some(rng, REASONS, 3),
            "triage": None if c.chance(0.2) else rng.choice(("green", "yellow", "red")),
            "unemployment_months": None if c.chance(0.15) else min(600, int(
                rng.expovariate(1 / 30)))}, day, referrer or target)
    if referrer and referrer not in c.consent_orgs:
        c.consent_orgs.append(referrer)
        named = [target, *(c.region.org(rng, k) for k in COACHING_KINDS if c.chance(0.4))]
        consent(c, day, referrer, list(dict.fromkeys(named)))
    return Referral(r, day, service, target, referrer_kind)


def decide(c: Client, ref: Referral) -> tuple[str, int, str | None]:
    """The receiving team's decision: (outcome, day, redirected service); some wait on."""
    rng = c.rng
    day = ref.day + 1 + min(120, int(rng.expovariate(1 / 12)))
    subject = f"referral:{ref.referral_id}"
    x = rng.random()
    if x < 0.04:
        return "waiting", day, None
    if x < 0.08:
        c.emit("referral", "ReferralWithdrawn", subject,
               {"referral_id": ref.referral_id, "client_id": c.client_id}, day, ref.target)
        return "withdrawn", day, None
    if x < 0.22:
        reason = DECLINE(rng)
        redirected = (rng.choice(tuple(PROVIDER)) if reason == "redirected" else None)
        c.emit("referral", "ReferralDeclined", subject,
               {"referral_id": ref.referral_id, "client_id": c.client_id, "reason": reason,
                "redirected_service": redirected}, day, ref.target)
        return "declined", day, redirected
    return "accepted", day, None


def duration(c: Client, service: str) -> int | None:
    """Days from open to close; None for a case never closed."""
    rng = c.rng
    if c.chance(0.05):
        return None
    if service in ASSESSMENT_SERVICES:
        return 45 + min(600, int(rng.expovariate(1 / 120)))
    if service == "job_coaching":
        return 90 + min(900, int(rng.expovariate(1 / 200)))
    return 30 + min(700, int(rng.expovariate(1 / 150)))


def transfer(c: Client, case_id: str, holder: tuple[str, str], day: int) -> tuple[str, str]:
    """Responsibility handed to another worker, organisation, or region's organisation."""
    rng = c.rng
    org, worker = holder
    x = rng.random()
    if x < 0.3:
        to_org = org
    elif x < 0.85:
        to_org = c.region.org(rng, rng.choice(("wellbeing_services", "multisectoral_service",
                                               "employment_services", "ngo")))
    else:
        moved_to = c.world.regions[c.world.pick_region(rng)]
        to_org = moved_to.org(rng, c.world.kind_of[org])
    to_worker = c.world.worker(rng, to_org)
    c.emit("referral", "ResponsibilityTransferred", f"case:{case_id}",
           {"case_id": case_id, "client_id": c.client_id, "from_organisation_id": org,
            "from_worker_id": worker, "to_organisation_id": to_org, "to_worker_id": to_worker},
           day, org)
    return to_org, to_worker


def case(c: Client, ref: Referral, day: int) -> tuple[int | None, str, str]:
    """Accept the referral and run the case; returns (close day or None, exit, holder)."""
    rng = c.rng
    org, service, k = ref.target, ref.service, c.writer.uuid()
    worker = c.world.worker(rng, org)
    at = c.at(day)
    recorded = c.emit("referral", "ReferralAccepted", f"referral:{ref.referral_id}",
                      {"referral_id": ref.referral_id, "client_id": c.client_id, "case_id": k},
                      day, org, at=at)
    c.emit("referral", "CaseOpened", f"case:{k}",
           {"case_id": k, "client_id": c.client_id, "organisation_id": org, "service": service,
            "referral_id": ref.referral_id, "responsible_worker_id": worker},
           day, org, at=at, recorded=recorded)
    if ref.referrer_kind == "client_self" and org not in c.consent_orgs:
        c.consent_orgs.append(org)
        consent(c, day, org, [org])
    length = duration(c, service)
    closes = day + (length if length is not None else 3000)
    exit_ = (COACHING_EXIT if service == "job_coaching" else EXIT)(rng)
    holder = (org, worker)
    for _ in range(rng.randint(1, 2) if c.chance(0.08) else 0):
        holder = transfer(c, k, holder, rng.randint(day + 5, max(day + 6, closes - 5)))
    if service in ASSESSMENT_SERVICES:
        assess_case(c, k, org, service, day, closes)
    elif service == "job_coaching":
        engagement(c, k, org, worker, day, recorded, closes, exit_)
    else:
        c.measure("baseline", day + rng.randint(0, 20), org, 0.4, 0.2, 0.5)
    if length is None:
        return None, exit_, holder[0]
    c.emit("referral", "CaseClosed", f"case:{k}",
           {"case_id": k, "client_id": c.client_id, "exit_destination": exit_}, closes,
           holder[0])
    closing(c, service, closes, holder[0])
    return closes, exit_, holder[0]


def closing(c: Client, service: str, closes: int, org: str) -> None:
    """End measurements, feedback and the follow-up measurements after a close."""
    rng = c.rng
    main = service in ASSESSMENT_SERVICES or service == "job_coaching"
    c.measure("end", closes, org, *((0.7, 0.35, 0.65) if main else (0.3, 0.1, 0.3)))
    if c.chance(0.5):
        c.feedback(closes + rng.randint(0, 14), org, service)
    if c.chance(0.5 if main else 0.15):
        c.measure("follow_up", closes + rng.randint(90, 200), org, 0.6, 0.3, 0.6)


def pathway(writer: Writer, world: World, start: int) -> None:
    """Every event of one client whose first referral is made on day `start`."""
    rng = writer.rng
    c = Client(writer, world, world.regions[world.pick_region(rng)], writer.uuid(),
               baseline_score=min(9, max(0, round(rng.gauss(4.5, 1.8)))))
    service, kind, day = TARGET_SERVICE(rng), REFERRER(rng), start
    for _ in range(MAX_REFERRALS):
        ref = refer(c, day, service, kind)
        outcome, decided, redirected = decide(c, ref)
        if outcome == "accepted":
            closes, exit_, holder = case(c, ref, decided)
            if closes is None:
                break
            day = closes
            if exit_ in NEXT_SERVICE and c.chance(0.6):  # the next step of the pathway
                service, kind = NEXT_SERVICE[exit_], world.kind_of[holder]
                day += rng.randint(0, 30)
                continue
        elif redirected is not None:
            service, day = redirected, decided + rng.randint(1, 14)
            continue
        elif outcome == "waiting":
            break
        if not c.chance(0.15):
            break
        # Referred again later, perhaps by someone else (repeat referrals).
        service, kind, day = TARGET_SERVICE(rng), REFERRER(rng), day + rng.randint(30, 600)
    if c.chance(0.3):
        consent(c, start + rng.randint(0, 60), c.registrar, [])
    if c.chance(0.003):
        c.emit("referral", "PersonalDataErased", f"client:{c.client_id}",
               {"client_id": c.client_id}, day + rng.randint(30, 400), c.registrar,
               actor=(world.worker(rng, c.registrar), "admin"))
    writer.forget_streams()

