"""A job-coaching CaseOpened on polku.referral.v1 starts exactly one engagement, published on
polku.coaching.v1 — also when the case event arrives again, before or after a restart."""

from __future__ import annotations

import uuid

from contracts.codes import ServiceKind
from services.coaching.app import definition
from services.coaching.handlers import engagement_id_for_case
from tests.e2e.coaching.feed import (
    ReferralHistory,
    coaching_messages,
    publish,
    wait_consumed,
    wait_relayed,
)
from tests.support.services import running_service


async def test_case_opened_starts_one_engagement_even_when_delivered_again(
    database_url: str, kafka_bootstrap: str
) -> None:
    history = ReferralHistory()
    other_service = ReferralHistory(service=ServiceKind.WORK_ABILITY_ASSESSMENT)
    async with running_service(definition, database_url=database_url,
                               kafka_bootstrap=kafka_bootstrap):
        await publish(kafka_bootstrap, other_service.envelopes)
        sent = await publish(kafka_bootstrap, history.envelopes)
        await wait_consumed(database_url, sent[-1])
        await wait_relayed(database_url)

        [started] = await coaching_messages(kafka_bootstrap, history.client_id)
        case = history.case_opened
        assert started["type"] == "CoachingStarted"
        assert started["source"] == "polku/coaching"
        assert started["causationid"] == str(case.id)
        assert started["correlationid"] == case.correlationid
        assert (started["actororg"], started["actorrole"], started["actor"]) == (
            case.actororg, case.actorrole, case.actor)
        engagement_id = engagement_id_for_case(history.case_id)
        assert started["subject"] == f"engagement:{engagement_id}"
        assert started["streamversion"] == 1
        assert started["data"] == {
            "engagement_id": str(engagement_id), "client_id": str(history.client_id),
            "organisation_id": history.organisation_id, "coach_id": str(history.worker_id),
            "case_id": str(history.case_id), "occurred_at": case.data["occurred_at"],
        }
        assert await coaching_messages(kafka_bootstrap, other_service.client_id) == []

        # The same event again, and the case re-sent under a new event id (a republish).
        resent = case.model_copy(update={"id": uuid.uuid4()})
        again = await publish(kafka_bootstrap, [case, resent])
        await wait_consumed(database_url, again[-1])
        await wait_relayed(database_url)

    async with running_service(definition, database_url=database_url,
                               kafka_bootstrap=kafka_bootstrap):
        after_restart = await publish(kafka_bootstrap, [case])
        await wait_consumed(database_url, after_restart[-1])
        await wait_relayed(database_url)

    messages = await coaching_messages(kafka_bootstrap, history.client_id)
    assert [m["type"] for m in messages] == ["CoachingStarted"]
