"""A full assessment pathway through the HTTP API publishes exactly the specified events on
polku.assessment.v1: start → scores and self-assessment → complete → plan → revise →
consultation."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg

from contracts.codes import Role
from contracts.envelope import Envelope
from contracts.registry import parse_data
from tests.e2e.assessment.support import (
    TEAM,
    ReferralUpstream,
    assessment_topic_for,
    consumed,
    referred_and_opened,
    registered,
)
from tests.support.services import RunningService, auth


async def test_full_assessment_pathway_publishes_exactly_its_events(
    service: RunningService, pool: asyncpg.Pool, upstream: ReferralUpstream
) -> None:
    client_id = uuid.uuid4()
    events, case_id = referred_and_opened(client_id)
    await consumed(pool, await upstream.publish(registered(client_id), *events))
    doctor_id, physio_id = str(uuid.uuid4()), str(uuid.uuid4())
    doctor, physio = auth(TEAM, "doctor", doctor_id), auth(TEAM, "physiotherapist", physio_id)
    review_on = date.today() + timedelta(days=90)
    revised_on = date.today() + timedelta(days=30)
    measured_at = "2025-01-15T09:30:00+02:00"
    steps: list[tuple[str, dict[str, Any], dict[str, str], int]] = []

    async with service.client() as http:

        async def post(path: str, body: dict[str, Any], headers: dict[str, str],
                       status: int = 201) -> dict[str, Any]:
            response = await http.post(path, json=body, headers=headers)
            assert response.status_code == status, response.text
            steps.append((path, body, headers, status))
            answer: dict[str, Any] = response.json()
            # API.md v2: every command's answer carries its consistency token (body and header).
            assert answer.pop("consistency") == response.headers["Polku-Consistency"]
            return answer

        started = await post("/assessments", {
            "client_id": str(client_id), "case_id": str(case_id), "kind": "multiprofessional",
            "roles": ["doctor", "physiotherapist"]}, doctor)
        assessment_id = started["assessment_id"]
        score = await post(f"/clients/{client_id}/work-ability-scores",
                           {"score": 4, "phase": "baseline", "occurred_at": measured_at}, physio)
        self_assessment = await post(f"/clients/{client_id}/self-assessments", {
            "instrument": "kykyviisari", "phase": "baseline",
            "domain_scores": {"work_ability": 4, "mental_wellbeing": 5.5, "competence": 8},
            "overall": 5.2}, physio)
        status = await post(f"/clients/{client_id}/labour-market-status",
                            {"status": "unemployed", "phase": "baseline"}, physio)
        completed = await post(f"/assessments/{assessment_id}/complete", {
            "conclusion": "partially_able", "recommended_services": ["job_coaching"],
            "benefit_recommendation": "vocational_rehabilitation"}, doctor, 200)
        assert completed == {"assessment_id": assessment_id, "stream_version": 2}
        plan = await post("/support-plans", {
            "client_id": str(client_id), "case_id": str(case_id),
            "planned_services": ["job_coaching", "kela_vocational_rehabilitation"],
            "review_on": review_on.isoformat()}, doctor)
        revised = await post(f"/support-plans/{plan['plan_id']}/revise", {
            "planned_services": ["job_coaching"], "review_on": revised_on.isoformat()},
            doctor, 200)
        assert revised == {"plan_id": plan["plan_id"], "stream_version": 2}
        consultation = await post("/consultations", {
            "client_id": str(client_id), "consultant_organisation_id": "kymenlaakso-kela",
            "consultant_role": "kela_expert", "topic": "benefits"}, doctor)

    published = await assessment_topic_for(service.settings.kafka_bootstrap_servers, client_id,
                                           expected=8)
    c = str(client_id)
    expected: list[tuple[str, str, int, str, dict[str, Any]]] = [
        ("AssessmentStarted", f"assessment:{assessment_id}", 1, doctor_id, {
            "assessment_id": assessment_id, "client_id": c, "case_id": str(case_id),
            "organisation_id": TEAM, "kind": "multiprofessional",
            "roles": ["doctor", "physiotherapist"]}),
        ("WorkAbilityScoreRecorded", f"measurement:{score['measurement_id']}", 1, physio_id, {
            "measurement_id": score["measurement_id"], "client_id": c, "score": 4,
            "phase": "baseline"}),
        ("SelfAssessmentRecorded", f"measurement:{self_assessment['measurement_id']}", 1,
         physio_id, {
             "measurement_id": self_assessment["measurement_id"], "client_id": c,
             "instrument": "kykyviisari", "phase": "baseline",
             "domain_scores": {"work_ability": 4.0, "mental_wellbeing": 5.5, "competence": 8.0},
             "overall": 5.2}),
        ("LabourMarketStatusRecorded", f"measurement:{status['measurement_id']}", 1, physio_id, {
            "measurement_id": status["measurement_id"], "client_id": c, "phase": "baseline",
            "status": "unemployed"}),
        ("AssessmentCompleted", f"assessment:{assessment_id}", 2, doctor_id, {
            "assessment_id": assessment_id, "client_id": c, "conclusion": "partially_able",
            "recommended_services": ["job_coaching"],
            "benefit_recommendation": "vocational_rehabilitation"}),
        ("SupportPlanAgreed", f"plan:{plan['plan_id']}", 1, doctor_id, {
            "plan_id": plan["plan_id"], "client_id": c, "case_id": str(case_id),
            "planned_services": ["job_coaching", "kela_vocational_rehabilitation"],
            "review_on": review_on.isoformat()}),
        ("SupportPlanRevised", f"plan:{plan['plan_id']}", 2, doctor_id, {
            "plan_id": plan["plan_id"], "client_id": c, "planned_services": ["job_coaching"],
            "review_on": revised_on.isoformat()}),
        ("ConsultationGiven", f"consultation:{consultation['consultation_id']}", 1, doctor_id, {
            "consultation_id": consultation["consultation_id"], "client_id": c,
            "requesting_organisation_id": TEAM, "requesting_org_kind": "wellbeing_services",
            "requester_role": "doctor", "consultant_organisation_id": "kymenlaakso-kela",
            "consultant_role": "kela_expert", "topic": "benefits"}),
    ]
    assert [(e["type"], e["subject"], e["streamversion"]) for e in published] == [
        (t, s, v) for t, s, v, _, _ in expected]
    roles = {doctor_id: Role.DOCTOR, physio_id: Role.PHYSIOTHERAPIST}
    correlation_ids = set()
    for envelope, (_, _, _, actor, data) in zip(published, expected, strict=True):
        occurred_at = envelope["data"].pop("occurred_at")
        assert envelope["data"] == data
        assert envelope["specversion"] == "1.0" and envelope["source"] == "polku/assessment"
        assert envelope["datacontenttype"] == "application/json"
        assert envelope["dataversion"] == 1 and envelope["clientid"] == c
        assert envelope["actororg"] == TEAM and envelope["actor"] == actor
        assert envelope["actorrole"] == roles[actor]
        assert datetime.fromisoformat(occurred_at) <= datetime.fromisoformat(envelope["time"])
        correlation_ids.add(envelope["correlationid"])
        # And every published envelope parses against the published language.
        envelope["data"]["occurred_at"] = occurred_at
        parse_data(Envelope.model_validate(envelope))
    assert published[1]["data"]["occurred_at"] == "2025-01-15T07:30:00Z"
    assert len({e["id"] for e in published}) == 8 and len(correlation_ids) == 8
