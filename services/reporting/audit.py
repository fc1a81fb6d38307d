"""The reporting service's read audit: the recorded reads of timelines (`GET /audit/reads`).

The route, the paging and who sees what are shared (services/runtime/read_audit.py, over the
access policy); here only where reporting keeps its reads and the case events (`event_log`),
how it folds a client's facts from them, and the further formats of its exporters
(`csv-excel`, `xlsx`: services/reporting/exports).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
from fastapi.responses import Response

from contracts.codes import Language
from services.reporting.access import facts_of
from services.reporting.exports.http import CSV_MEDIA_TYPE, FileFormat, file_response, filename
from services.reporting.exports.table import Table
from services.reporting.exports.workbook import MEDIA_TYPE as XLSX_MEDIA_TYPE
from services.runtime.access.facts import ACCESS_EVENT_TYPES, ClientFacts
from services.runtime.read_audit import (
    FIELDS,
    AuditSource,
    AuditTable,
    CaseEvents,
    FactsLoader,
    FileWriter,
    audit_router,
)
from services.runtime.service import ServiceContext


async def client_facts(conn: asyncpg.Connection, client_id: UUID) -> ClientFacts:
    """The client's access facts from the referral events in `event_log`."""
    rows = await conn.fetch(
        """SELECT envelope::text AS envelope FROM event_log
           WHERE client_id = $1 AND type = ANY($2::text[])""",
        client_id, sorted(ACCESS_EVENT_TYPES))
    return facts_of(json.loads(r["envelope"]) for r in rows)


def _facts(ctx: ServiceContext, conn: asyncpg.Connection) -> FactsLoader:
    return lambda client_id: client_facts(conn, client_id)


SOURCE = AuditSource(
    table=AuditTable("timeline_reads", key="id"),
    case_events=CaseEvents("event_log", type_column="type", data="(e.envelope -> 'data')"),
    facts=_facts,
)

def _exported(format: FileFormat) -> FileWriter:
    """The reads as a file of the exporters: `read_at` a moment, `granted` a boolean."""
    def write(reads: list[dict[str, Any]]) -> Response:
        rows = [{**read, "read_at": datetime.fromisoformat(read["read_at"])} for read in reads]
        return file_response(Table(FIELDS, rows), format,
                             filename("read_audit", format=format), lang=Language.FI)
    return write


router = audit_router(SOURCE, what="client timelines", files={
    "csv-excel": (CSV_MEDIA_TYPE, _exported("csv-excel")),
    "xlsx": (XLSX_MEDIA_TYPE, _exported("xlsx")),
})
