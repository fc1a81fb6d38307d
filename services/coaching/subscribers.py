"""What the coaching service derives from polku.referral.v1, besides the access tables:
a CaseOpened for job coaching starts the case's engagement, exactly once."""

from __future__ import annotations

import asyncpg

from contracts.codes import ServiceKind
from contracts.events.referral import CaseOpened
from contracts.topics import SOURCES
from services.coaching.domain import engagement
from services.coaching.handlers import engagement_id_for_case, engagement_stream
from services.runtime.access import access_consumer
from services.runtime.application import CommandMeta, Decision, stream_appends
from services.runtime.consumer import ConsumedEvent, ConsumerSpec
from services.runtime.errors import ConcurrencyConflict
from services.runtime.eventstore import append_in
from services.runtime.http import Principal, valid_correlation_id
from services.runtime.logging import get_logger

log = get_logger(__name__)


async def start_engagements_for_cases(
    conn: asyncpg.Connection, events: list[ConsumedEvent]
) -> None:
    """Runs in the consumer's transaction, so the engagement commits with the offsets."""
    for event in events:
        if isinstance(event.data, CaseOpened) and event.data.service is ServiceKind.JOB_COACHING:
            await start_engagement_for_case(conn, event, event.data)


async def start_engagement_for_case(
    conn: asyncpg.Connection, event: ConsumedEvent, case: CaseOpened
) -> None:
    engagement_id = engagement_id_for_case(case.case_id)
    stream_id = engagement_stream(engagement_id)
    command = engagement.StartCoaching(
        engagement_id=engagement_id, client_id=case.client_id,
        organisation_id=case.organisation_id, coach_id=case.responsible_worker_id,
        case_id=case.case_id, occurred_at=case.occurred_at,
    )
    decision = Decision(engagement.decide(command, engagement.initial_state), {stream_id: 0})
    envelope = event.envelope
    meta = CommandMeta(
        principal=Principal(sub=envelope.actor, org=envelope.actororg, role=envelope.actorrole),
        # An event recorded before correlation ids were validated may carry anything: a bad
        # one is not copied on, the case event's own id correlates instead.
        correlation_id=valid_correlation_id(envelope.correlationid) or str(envelope.id),
        causation_id=str(envelope.id),
    )
    appends = stream_appends(decision, source=SOURCES["coaching"], meta=meta)
    try:
        async with conn.transaction():  # a savepoint: a lost race leaves the batch intact
            await append_in(conn, appends)
    except ConcurrencyConflict:
        # Started already (a redelivered case event, or a professional was first).
        log.info("coaching.case_engagement_exists", case_id=str(case.case_id),
                 engagement_id=str(engagement_id))
        return
    log.info("coaching.started_for_case", case_id=str(case.case_id),
             engagement_id=str(engagement_id))


def referral_consumer() -> ConsumerSpec:
    return access_consumer("coaching", handler=start_engagements_for_cases)
