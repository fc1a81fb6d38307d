"""Synthetic but valid event histories for the reporting benchmarks (envelope dicts)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

REGIONS = ["keski-uusimaa", "vantaa-kerava", "kymenlaakso", "pirkanmaa", "paijat-hame"]
SOURCES = {"referral": "polku/referral", "assessment": "polku/assessment"}
TOPICS = {"referral": "polku.referral.v1", "assessment": "polku.assessment.v1"}


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def client_history(rng: random.Random, start: datetime) -> list[tuple[str, dict[str, Any]]]:
    """About eleven events of one client's pathway: (topic, envelope)."""
    client, referral, case, assessment = (str(uuid.UUID(int=rng.getrandbits(128)))
                                          for _ in range(4))
    region = rng.choice(REGIONS)
    sote, employment = f"{region}-sote", f"{region}-employment"
    worker = str(uuid.UUID(int=rng.getrandbits(128)))
    day = start
    out: list[tuple[str, dict[str, Any]]] = []
    versions: dict[str, int] = {}

    def add(service: str, type_: str, subject: str, data: dict[str, Any], org: str,
            days: int = 0) -> None:
        nonlocal day
        day += timedelta(days=days)
        versions[subject] = versions.get(subject, 0) + 1
        out.append((TOPICS[service], {
            "specversion": "1.0", "id": str(uuid.UUID(int=rng.getrandbits(128))),
            "source": SOURCES[service], "type": type_, "subject": subject,
            "time": _iso(day + timedelta(hours=1)), "datacontenttype": "application/json",
            "dataversion": 1, "streamversion": versions[subject], "clientid": client,
            "correlationid": "bench", "actororg": org, "actorrole": "social_worker",
            "actor": worker, "data": {**data, "occurred_at": _iso(day)},
        }))

    add("referral", "ClientRegistered", f"client:{client}",
        {"client_id": client, "birth_year": rng.randint(1960, 2000),
         "sex": rng.choice(["female", "male"]), "home_region": region}, employment)
    add("referral", "ReferralMade", f"referral:{referral}",
        {"referral_id": referral, "client_id": client, "referring_organisation_id": employment,
         "referring_org_kind": "employment_services", "target_organisation_id": sote,
         "target_service": "work_ability_assessment", "reasons": ["long_term_unemployment"],
         "triage": "red", "unemployment_months": rng.randint(0, 120)}, employment)
    add("referral", "ReferralAccepted", f"referral:{referral}",
        {"referral_id": referral, "client_id": client, "case_id": case}, sote,
        rng.randint(1, 30))
    add("referral", "CaseOpened", f"case:{case}",
        {"case_id": case, "client_id": client, "organisation_id": sote,
         "service": "work_ability_assessment", "referral_id": referral,
         "responsible_worker_id": worker}, sote)
    add("assessment", "AssessmentStarted", f"assessment:{assessment}",
        {"assessment_id": assessment, "client_id": client, "case_id": case,
         "organisation_id": sote, "kind": "multiprofessional", "roles": ["doctor"]},
        sote, rng.randint(5, 90))
    for phase, gap in (("baseline", 0), ("end", 60)):
        measurement = str(uuid.UUID(int=rng.getrandbits(128)))
        add("assessment", "WorkAbilityScoreRecorded", f"measurement:{measurement}",
            {"measurement_id": measurement, "client_id": client,
             "score": rng.randint(2, 9), "phase": phase}, sote, gap)
    add("assessment", "AssessmentCompleted", f"assessment:{assessment}",
        {"assessment_id": assessment, "client_id": client, "conclusion": "partially_able",
         "recommended_services": ["job_coaching"], "benefit_recommendation": "none"}, sote, 1)
    plan = str(uuid.UUID(int=rng.getrandbits(128)))
    add("assessment", "SupportPlanAgreed", f"plan:{plan}",
        {"plan_id": plan, "client_id": client, "case_id": case,
         "planned_services": ["job_coaching"], "review_on": (day + timedelta(days=90)).date()
         .isoformat()}, sote, 3)
    add("referral", "CaseClosed", f"case:{case}",
        {"case_id": case, "client_id": client, "exit_destination": "job_coaching"}, sote,
        rng.randint(30, 120))
    feedback = str(uuid.UUID(int=rng.getrandbits(128)))
    add("referral", "ClientFeedbackGiven", f"feedback:{feedback}",
        {"feedback_id": feedback, "client_id": client, "organisation_id": sote,
         "service": "work_ability_assessment", "score": rng.randint(0, 10),
         "felt_heard": True, "helped": rng.random() < 0.6}, sote)
    return out


def events(count: int, seed: int = 7) -> Iterator[tuple[str, dict[str, Any]]]:
    """`count` events (topic, envelope), client by client, dated 2024–2026."""
    rng = random.Random(seed)
    produced = 0
    base = datetime(2024, 1, 1, 8, tzinfo=UTC)
    while produced < count:
        start = base + timedelta(days=rng.randint(0, 700))
        for item in client_history(rng, start):
            if produced >= count:
                return
            produced += 1
            yield item
