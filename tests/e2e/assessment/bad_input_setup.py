"""The world of the assessment bad-input tests: a running service (on a thread, own database)
with one accessible client, its case, an assessment in progress, a completed assessment and
an agreed plan; every endpoint with a body it would accept."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx

from polku.infra import Infrastructure
from polku.stack import run_sync
from services.assessment.app import definition
from tests.e2e.assessment.support import (
    TEAM,
    ReferralUpstream,
    consumed,
    referred_and_opened,
    registered,
)
from tests.support.services import ServiceThread, auth

HEADERS = auth(TEAM, "doctor")


@dataclass(frozen=True)
class Setup:
    """A running service with one accessible client, its case, an assessment in progress,
    a completed assessment and an agreed plan."""

    base_url: str
    database_url: str
    client_id: str
    other_client_id: str
    case_id: str
    other_case_id: str
    assessment_id: str
    completed_id: str
    plan_id: str


async def _seed_access(database_url: str, bootstrap: str) -> tuple[uuid.UUID, ...]:
    client_id, other_client_id = uuid.uuid4(), uuid.uuid4()
    upstream = await ReferralUpstream.start(bootstrap)
    try:
        mine, case_id = referred_and_opened(client_id)
        theirs, other_case_id = referred_and_opened(other_client_id)
        published = await upstream.publish(registered(client_id), registered(other_client_id),
                                           *mine, *theirs)
    finally:
        await upstream.stop()
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    try:
        await consumed(pool, published)
    finally:
        await pool.close()
    return client_id, other_client_id, case_id, other_case_id


async def _events_count(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM events"))
    finally:
        await conn.close()


def events_count(setup: Setup) -> int:
    return run_sync(_events_count(setup.database_url))


@contextlib.contextmanager
def running_setup(infra: Infrastructure) -> Iterator[Setup]:
    """The service on a thread with its own database, seeded; dropped afterwards."""
    name = f"test_assessment_{uuid.uuid4().hex[:10]}"
    url = infra.database_url(name)
    service = ServiceThread(definition, database_url=url, kafka_bootstrap=infra.kafka_bootstrap)
    try:
        with service:
            client_id, other_client_id, case_id, other_case_id = run_sync(
                _seed_access(url, infra.kafka_bootstrap))
            with httpx.Client(base_url=service.base_url, headers=HEADERS) as http:
                def create(path: str, body: dict[str, Any], key: str) -> str:
                    response = http.post(path, json=body)
                    assert response.status_code == 201, response.text
                    return str(response.json()[key])

                start = {"client_id": str(client_id), "case_id": str(case_id),
                         "kind": "physio_broad", "roles": ["physiotherapist"]}
                assessment_id = create("/assessments", start, "assessment_id")
                completed_id = create("/assessments", start, "assessment_id")
                done = http.post(f"/assessments/{completed_id}/complete", json={
                    "conclusion": "able_to_work", "benefit_recommendation": "none"})
                assert done.status_code == 200, done.text
                plan_id = create("/support-plans", {
                    "client_id": str(client_id), "case_id": str(case_id),
                    "planned_services": ["job_coaching"],
                    "review_on": (date.today() + timedelta(days=60)).isoformat()}, "plan_id")
            yield Setup(service.base_url, url, str(client_id), str(other_client_id),
                        str(case_id), str(other_case_id), assessment_id, completed_id, plan_id)
    finally:
        run_sync(infra.drop_database(name))


# Endpoints and valid bodies ---------------------------------------------------------------


def endpoints(s: Setup) -> dict[str, tuple[str, dict[str, Any]]]:
    """Every endpoint with a body that would be accepted (for the in-progress assessment and
    the agreed plan of the accessible client)."""
    future = (date.today() + timedelta(days=30)).isoformat()
    past = "2024-05-01T08:00:00Z"
    return {
        "start": ("/assessments", {"client_id": s.client_id, "case_id": s.case_id,
                                   "kind": "multiprofessional", "roles": ["doctor"],
                                   "occurred_at": past}),
        "complete": (f"/assessments/{s.assessment_id}/complete", {
            "conclusion": "partially_able", "recommended_services": ["job_coaching"],
            "benefit_recommendation": "none", "occurred_at": past}),
        "cancel": (f"/assessments/{s.assessment_id}/cancel",
                   {"reason": "duplicate", "occurred_at": past}),
        "score": (f"/clients/{s.client_id}/work-ability-scores",
                  {"score": 5, "phase": "baseline", "occurred_at": past}),
        "self": (f"/clients/{s.client_id}/self-assessments", {
            "instrument": "kykyviisari", "phase": "baseline",
            "domain_scores": {"competence": 6.5}, "overall": 6, "occurred_at": past}),
        "status": (f"/clients/{s.client_id}/labour-market-status",
                   {"status": "unemployed", "phase": "end", "occurred_at": past}),
        "health": ("/health-checks", {"client_id": s.client_id,
                                      "further_assessment_needed": True, "occurred_at": past}),
        "plan": ("/support-plans", {"client_id": s.client_id, "case_id": s.case_id,
                                    "planned_services": ["job_coaching"], "review_on": future,
                                    "occurred_at": past}),
        "revise": (f"/support-plans/{s.plan_id}/revise", {
            "planned_services": ["education"], "review_on": future, "occurred_at": past}),
        "consult": ("/consultations", {
            "client_id": s.client_id, "consultant_organisation_id": "kymenlaakso-kela",
            "consultant_role": "kela_expert", "topic": "benefits", "occurred_at": past}),
    }


REQUIRED = {
    "start": {"client_id", "kind"},
    "complete": {"conclusion", "benefit_recommendation"},
    "cancel": {"reason"},
    "score": {"score", "phase"},
    "self": {"instrument", "phase", "domain_scores"},
    "status": {"status", "phase"},
    "health": {"client_id", "further_assessment_needed"},
    "plan": {"client_id", "case_id", "planned_services", "review_on"},
    "revise": {"planned_services", "review_on"},
    "consult": {"consultant_organisation_id", "consultant_role", "topic"},
}
