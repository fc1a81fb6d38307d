"""A whole coaching pathway over HTTP, from the engagement a job-coaching case started to
the end of coaching, and exactly the events EVENTS.md specifies on polku.coaching.v1."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from services.coaching.app import definition
from services.coaching.handlers import engagement_id_for_case
from tests.e2e.coaching.feed import (
    ReferralHistory,
    coaching_messages,
    publish,
    wait_consumed,
    wait_relayed,
)
from tests.support.services import auth, running_service


async def step(http: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str],
               correlation: str, status: int = 200) -> dict[str, Any]:
    response = await http.post(path, json=body,
                               headers={**headers, "X-Correlation-Id": correlation})
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    # API.md v2: a command's answer carries its consistency token, in the body and a header.
    assert answer.pop("consistency") == response.headers["Polku-Consistency"]
    return answer


async def test_full_coaching_pathway_produces_exactly_the_specified_events(
    database_url: str, kafka_bootstrap: str
) -> None:
    history = ReferralHistory()
    coach_id = str(history.worker_id)
    coach = auth(history.organisation_id, "job_coach", sub=coach_id)
    engagement_id = str(engagement_id_for_case(history.case_id))
    client_id = str(history.client_id)
    async with running_service(definition, database_url=database_url,
                               kafka_bootstrap=kafka_bootstrap) as svc, svc.client() as http:
        sent = await publish(kafka_bootstrap, history.envelopes)
        await wait_consumed(database_url, sent[-1])

        engagement = f"/engagements/{engagement_id}"
        assert await step(http, f"{engagement}/vocational-profile", {}, coach, "c-profile") == {
            "stream_version": 2}
        assert await step(http, f"{engagement}/employer-contacts", {
            "employer_id": "kymenlaakso-employer-3", "purpose": "job_search"}, coach,
            "c-contact-1") == {"stream_version": 3}
        assert await step(http, f"{engagement}/employer-contacts", {
            "employer_id": "kymenlaakso-employer-3", "purpose": "job_tailoring"}, coach,
            "c-contact-2") == {"stream_version": 4}
        response = await http.post("/placements", json={
            "client_id": client_id, "engagement_id": engagement_id,
            "employer_id": "kymenlaakso-employer-3", "kind": "pay_subsidised_job",
            "hours_per_week": 30, "wage_subsidy": True,
            "occurred_at": "2025-05-02T08:00:00+03:00",
        }, headers={**coach, "X-Correlation-Id": "c-placement"})
        assert response.status_code == 201, response.text
        placement_id = response.json()["placement_id"]
        assert response.headers["Location"] == f"/placements/{placement_id}"
        placement = f"/placements/{placement_id}"
        assert await step(http, f"{placement}/follow-along", {"mode": "workplace_visit"},
                          coach, "c-follow") == {"stream_version": 2}
        assert await step(http, f"{placement}/end", {"reason": "converted_to_permanent"},
                          coach, "c-placement-end") == {"stream_version": 3}
        assert await step(http, f"{engagement}/end", {"outcome": "employment"}, coach,
                          "c-end") == {"stream_version": 5}
        await wait_relayed(database_url)

    messages = await coaching_messages(kafka_bootstrap, history.client_id)
    assert [m["type"] for m in messages] == [
        "CoachingStarted", "VocationalProfileCompleted", "EmployerContacted",
        "EmployerContacted", "PlacementStarted", "FollowAlongSupportGiven", "PlacementEnded",
        "CoachingEnded",
    ]
    for message in messages:
        assert message["specversion"] == "1.0" and message["source"] == "polku/coaching"
        assert message["dataversion"] == 1 and message["clientid"] == client_id
        assert message["datacontenttype"] == "application/json"
    started, *by_coach = messages
    assert started["causationid"] == str(history.case_opened.id)
    for message in by_coach:
        assert (message["actororg"], message["actorrole"], message["actor"]) == (
            history.organisation_id, "job_coach", coach_id)
        assert "causationid" not in message
    assert [(m["subject"], m["streamversion"], m["correlationid"]) for m in by_coach] == [
        (f"engagement:{engagement_id}", 2, "c-profile"),
        (f"engagement:{engagement_id}", 3, "c-contact-1"),
        (f"engagement:{engagement_id}", 4, "c-contact-2"),
        (f"placement:{placement_id}", 1, "c-placement"),
        (f"placement:{placement_id}", 2, "c-follow"),
        (f"placement:{placement_id}", 3, "c-placement-end"),
        (f"engagement:{engagement_id}", 5, "c-end"),
    ]
    data = [{k: v for k, v in m["data"].items() if k != "occurred_at"} for m in messages]
    on_engagement = {"engagement_id": engagement_id, "client_id": client_id}
    on_placement = {"placement_id": placement_id, "client_id": client_id}
    assert data == [
        {**on_engagement, "organisation_id": history.organisation_id, "coach_id": coach_id,
         "case_id": str(history.case_id)},
        on_engagement,
        {**on_engagement, "employer_id": "kymenlaakso-employer-3", "purpose": "job_search"},
        {**on_engagement, "employer_id": "kymenlaakso-employer-3", "purpose": "job_tailoring"},
        {**on_placement, "engagement_id": engagement_id, "employer_id": "kymenlaakso-employer-3",
         "kind": "pay_subsidised_job", "hours_per_week": 30.0, "wage_subsidy": True},
        {**on_placement, "mode": "workplace_visit"},
        {**on_placement, "reason": "converted_to_permanent"},
        {**on_engagement, "outcome": "employment"},
    ]
    assert messages[4]["data"]["occurred_at"] == "2025-05-02T05:00:00Z"


async def test_engagements_by_hand_access_and_idempotency(
    database_url: str, kafka_bootstrap: str
) -> None:
    history = ReferralHistory()
    coach = auth(history.organisation_id, "job_coach")
    async with running_service(definition, database_url=database_url,
                               kafka_bootstrap=kafka_bootstrap) as svc, svc.client() as http:
        sent = await publish(kafka_bootstrap, history.envelopes)
        await wait_consumed(database_url, sent[-1])
        body = {"client_id": str(history.client_id), "case_id": str(history.case_id),
                "coach_id": str(uuid.uuid4())}

        # The case's engagement exists already (started from CaseOpened): the same id, 200.
        same = await http.post("/engagements", json=body, headers=coach)
        assert same.status_code == 200, same.text
        assert same.json() == {"engagement_id": str(engagement_id_for_case(history.case_id))}

        # Without a case: a new engagement; the Idempotency-Key answers the first response.
        keyed = {**coach, "Idempotency-Key": f"start-{uuid.uuid4()}"}
        first = await http.post("/engagements", json={**body, "case_id": None}, headers=keyed)
        assert first.status_code == 201, first.text
        assert first.headers["Location"] == f"/engagements/{first.json()['engagement_id']}"
        again = await http.post("/engagements", json={**body, "case_id": None}, headers=keyed)
        assert (again.status_code, again.json()) == (201, first.json())

        # The referring organisation is involved (accepted referral); another is not: 403.
        referrer = auth("kymenlaakso-employment", "employment_expert")
        assert (await http.post("/engagements", json={**body, "case_id": None},
                                headers=referrer)).status_code == 201
        stranger = await http.post("/engagements", json={**body, "case_id": None},
                                   headers=auth("pirkanmaa-ngo", "job_coach"))
        assert stranger.status_code == 403, stranger.text
        assert stranger.headers["content-type"] == "application/problem+json"
        engagement = first.json()["engagement_id"]
        assert (await http.post(f"/engagements/{engagement}/vocational-profile",
                                headers=auth("pirkanmaa-ngo", "job_coach"))).status_code == 403
        # Only this client's events: the consumer also replays earlier tests' referral events.
        rows = await svc.ctx.pool.fetch(
            "SELECT event_type FROM events WHERE client_id = $1 ORDER BY position",
            history.client_id)
        assert [r["event_type"] for r in rows] == ["CoachingStarted"] * 3

        assert (await http.get("/healthz")).status_code == 200
        ready = await http.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert "polku_events_appended_total" in (await http.get("/metrics")).text
        asyncapi = json.dumps((await http.get("/asyncapi.json")).json())
        assert "polku.coaching.v1" in asyncapi and "polku.referral.v1" in asyncapi
        openapi = (await http.get("/openapi.json")).json()
        assert {"/engagements", "/engagements/{engagement_id}/vocational-profile",
                "/engagements/{engagement_id}/employer-contacts",
                "/engagements/{engagement_id}/end", "/placements",
                "/placements/{placement_id}/follow-along", "/placements/{placement_id}/end",
                "/fidelity-reviews"} <= set(openapi["paths"])
