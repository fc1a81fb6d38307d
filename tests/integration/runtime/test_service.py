"""The app factory end to end: HTTP command → event store → relay → topic, with the
shared plumbing (auth, problems, idempotency, health) on a minimal service."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from fastapi import APIRouter

from contracts.commands.coaching import RecordFidelityReview
from contracts.events.coaching import FidelityReviewRecorded
from contracts.topics import COACHING_TOPIC
from services.runtime.application import Decision
from services.runtime.responses import respond
from services.runtime.service import Ctx, Meta, ServiceDefinition
from tests.integration.runtime.support import wait_for
from tests.support.services import auth, running_service, token

router = APIRouter()


@router.post("/fidelity-reviews", status_code=201)
async def record(body: RecordFidelityReview, ctx: Ctx, meta: Meta):  # type: ignore[no-untyped-def]
    async def decide() -> Decision:
        review_id = uuid.uuid4()
        event = FidelityReviewRecorded(
            review_id=review_id, organisation_id=meta.principal.org,
            item_scores=body.item_scores, total=sum(body.item_scores.values()),
            occurred_at=body.occurred_at or datetime.now(UTC),
        )
        return Decision([event], {}, {"review_id": str(review_id)}, created=True)

    return respond(await ctx.bus.execute(meta, decide), "/fidelity-reviews/{review_id}")


DEFINITION = ServiceDefinition(
    name="coaching", title="test", default_port=0, routers=[router], produces=COACHING_TOPIC
)
SCORES = {str(i): 3 for i in range(1, 26)}


async def test_command_to_topic_with_auth_problems_and_idempotency(
    database_url: str, kafka_bootstrap: str
) -> None:
    async with running_service(
        DEFINITION, database_url=database_url, kafka_bootstrap=kafka_bootstrap
    ) as svc, svc.client() as http:
        assert (await http.get("/healthz")).status_code == 200
        ready = await http.get("/readyz")
        assert ready.status_code == 200, ready.text

        headers = {**auth("kymenlaakso-ngo", "job_coach"), "Idempotency-Key": "k1"}
        first = await http.post("/fidelity-reviews", json={"item_scores": SCORES},
                                headers=headers)
        assert first.status_code == 201, first.text
        again = await http.post("/fidelity-reviews", json={"item_scores": SCORES},
                                headers=headers)
        assert again.status_code == 201 and again.json() == first.json()
        other_body = await http.post(
            "/fidelity-reviews", json={"item_scores": {**SCORES, "1": 4}}, headers=headers)
        assert other_body.status_code == 422
        assert other_body.headers["content-type"] == "application/problem+json"

        bad = await http.post("/fidelity-reviews", json={"item_scores": {**SCORES, "1": 9}},
                              headers=auth("kymenlaakso-ngo", "job_coach"))
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"].startswith("item_scores")

        assert (await http.post("/fidelity-reviews", json={"item_scores": SCORES})).status_code \
            == 401
        expired = {"Authorization": f"Bearer {token('kymenlaakso-ngo', 'job_coach', ttl=-10)}"}
        assert (await http.post("/fidelity-reviews", json={"item_scores": SCORES},
                                headers=expired)).status_code == 401

        store = svc.ctx.store
        events = await store.read_from_position(1, 10)
        assert [e.event_type for e in events] == ["FidelityReviewRecorded"]
        envelope = json.loads(events[0].envelope)
        assert envelope["actororg"] == "kymenlaakso-ngo"
        assert envelope["data"]["total"] == 75

        async def published() -> bool:
            return svc.ctx.relay.published >= 1

        await wait_for(published, what="relay publish")
        metrics = (await http.get("/metrics")).text
        assert "polku_events_appended_total" in metrics
        spec = (await http.get("/asyncapi.json")).json()
        assert COACHING_TOPIC in json.dumps(spec)
