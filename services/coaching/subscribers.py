"""What the coaching service derives from polku.referral.v1, besides the access tables:
a CaseOpened for job coaching starts the case's engagement, exactly once, through the same
command bus as an HTTP route (handlers.start_coaching_for_case)."""

from __future__ import annotations

from functools import partial

import asyncpg

from contracts.codes import ServiceKind
from contracts.events.referral import CaseOpened
from services.coaching.handlers import engagement_id_for_case, start_coaching_for_case
from services.runtime.access import access_consumer
from services.runtime.application import CommandMeta
from services.runtime.errors import ConcurrencyConflict
from services.runtime.http import valid_correlation_id
from services.runtime.intake import ConsumedEvent, ConsumerSpec
from services.runtime.logging import get_logger
from services.runtime.principal import Principal
from services.runtime.service import ServiceContext

log = get_logger(__name__)


async def start_engagements_for_cases(
    ctx: ServiceContext, conn: asyncpg.Connection, events: list[ConsumedEvent]
) -> None:
    """Runs in the consumer's transaction, so the engagement commits with the offsets."""
    for event in events:
        if isinstance(event.data, CaseOpened) and event.data.service is ServiceKind.JOB_COACHING:
            await start_engagement_for_case(ctx, conn, event, event.data)


def command_meta_of(event: ConsumedEvent) -> CommandMeta:
    """The command on behalf of whoever recorded the event, caused by it."""
    envelope = event.envelope
    return CommandMeta(
        principal=Principal(sub=envelope.actor, org=envelope.actororg, role=envelope.actorrole),
        # An event recorded before correlation ids were validated may carry anything: a bad
        # one is not copied on, the case event's own id correlates instead.
        correlation_id=valid_correlation_id(envelope.correlationid) or str(envelope.id),
        causation_id=str(envelope.id),
    )


async def start_engagement_for_case(
    ctx: ServiceContext, conn: asyncpg.Connection, event: ConsumedEvent, case: CaseOpened
) -> None:
    engagement_id = engagement_id_for_case(case.case_id)
    try:
        async with conn.transaction():  # a savepoint: a lost race leaves the batch intact
            await start_coaching_for_case(ctx, command_meta_of(event), case, conn=conn)
    except ConcurrencyConflict:
        # Started already (a redelivered case event, or a professional was first).
        log.info("coaching.case_engagement_exists", case_id=str(case.case_id),
                 engagement_id=str(engagement_id))
        return
    log.info("coaching.started_for_case", case_id=str(case.case_id),
             engagement_id=str(engagement_id))


def referral_consumer(ctx: ServiceContext) -> ConsumerSpec:
    return access_consumer("coaching", ctx.access,
                           handler=partial(start_engagements_for_cases, ctx))
