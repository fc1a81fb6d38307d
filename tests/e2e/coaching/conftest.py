"""One coaching service for a module, on its own thread and database, with a small world:
two job-coaching clients, an open and an ended engagement, an open and an ended placement."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from polku.infra import Infrastructure
from polku.stack import run_sync
from services.coaching.app import definition
from services.coaching.handlers import engagement_id_for_case
from tests.e2e.coaching.feed import ReferralHistory, publish, wait_consumed
from tests.support.services import ServiceThread, auth


@dataclass(frozen=True)
class World:
    base_url: str
    database_url: str
    client_id: uuid.UUID
    ended_client_id: uuid.UUID  # the client of the ended engagement
    open_engagement: uuid.UUID
    ended_engagement: uuid.UUID
    open_placement: uuid.UUID
    ended_placement: uuid.UUID
    coach: dict[str, str]

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers=self.coach, timeout=30.0)


@pytest.fixture(scope="module")
def world(infra: Infrastructure) -> Iterator[World]:
    name = f"test_{uuid.uuid4().hex[:12]}"
    database_url = infra.database_url(name)
    active, finished = ReferralHistory(), ReferralHistory()
    with ServiceThread(definition, database_url=database_url,
                       kafka_bootstrap=infra.kafka_bootstrap,
                       polku_relay_idle_seconds=0.05) as service:
        sent = run_sync(publish(infra.kafka_bootstrap, active.envelopes + finished.envelopes))
        run_sync(wait_consumed(database_url, sent[-1]))
        coach = auth(active.organisation_id, "job_coach")
        with httpx.Client(base_url=service.base_url, headers=coach, timeout=30.0) as http:
            ended = engagement_id_for_case(finished.case_id)
            assert http.post(f"/engagements/{ended}/end",
                             json={"outcome": "education"}).status_code == 200
            placements = []
            for _ in range(2):
                response = http.post("/placements", json={
                    "client_id": str(active.client_id), "employer_id": "kymenlaakso-employer-1",
                    "engagement_id": str(engagement_id_for_case(active.case_id)),
                    "kind": "work_trial"})
                assert response.status_code == 201, response.text
                placements.append(uuid.UUID(response.json()["placement_id"]))
            assert http.post(f"/placements/{placements[1]}/end",
                             json={"reason": "client_ended"}).status_code == 200
        yield World(
            base_url=service.base_url, database_url=database_url, client_id=active.client_id,
            ended_client_id=finished.client_id,
            open_engagement=engagement_id_for_case(active.case_id), ended_engagement=ended,
            open_placement=placements[0], ended_placement=placements[1], coach=coach,
        )
    run_sync(infra.drop_database(name))
