"""The referral service's read audit: the recorded reads of personal data (`GET /audit/reads`).

The route, the paging and who sees what are shared (services/runtime/read_audit.py, over the
access policy); here only where referral keeps its reads and its case events, and how it
loads a client's facts (its own event store).
"""

from __future__ import annotations

import asyncpg

from services.referral.access import load_facts
from services.runtime.read_audit import (
    AuditSource,
    AuditTable,
    CaseEvents,
    FactsLoader,
    audit_router,
)
from services.runtime.service import ServiceContext


def _facts(ctx: ServiceContext, conn: asyncpg.Connection) -> FactsLoader:
    return lambda client_id: load_facts(ctx.store, client_id)


SOURCE = AuditSource(
    table=AuditTable("personal_data_reads", key="read_id"),
    case_events=CaseEvents("events", type_column="event_type",
                           data="(e.envelope::jsonb -> 'data')"),
    facts=_facts,
)

router = audit_router(SOURCE, what="personal data")
