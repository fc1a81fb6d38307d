"""The read audit for data protection officers (`GET /audit/reads`), built once for services.

Referral serves the reads of personal data, reporting those of timelines. Who sees which
recorded read is the access policy's (`policy.may_read_audit`, `policy.audit_shows`,
`policy.audit_covers`): the officer's own organisation's reads, and every read of a client the
organisation is involved with today. Here: finding those clients (candidates by SQL — clients
read by others whose case events name the organisation — then confirmed by the policy over
their facts), the page query (oldest first, keyset paging by `(read_at, key)`), the answer's
JSON and CSV. A service names its audit table, its case events and how it loads a client's
facts; the route itself is built here (`audit_router`).
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from contracts.bounded import BoundedDate, bounded_time
from contracts.identity import FINLAND
from services.runtime.access import actor_of, enforce, windows_of
from services.runtime.access.facts import ClientFacts
from services.runtime.access.policy import Actor, Windows, audit_covers, may_read_audit
from services.runtime.errors import ValidationFailed
from services.runtime.logging import get_logger
from services.runtime.service import Auth, Ctx, ServiceContext

log = get_logger(__name__)

FIELDS = ("read_at", "organisation_id", "role", "professional_id", "client_id", "granted")
DEFAULT_LIMIT, MAX_LIMIT = 1000, 10_000
CSV_MEDIA = "text/csv"
NEXT_CURSOR = "Polku-Next-Cursor"


@dataclass(frozen=True)
class AuditTable:
    """A service's read-audit table (each has `read_at`, `reader_org`, `reader_role`,
    `reader_sub`, `client_id`, `granted`); `key` is its identity column, which orders reads
    recorded in the same instant. Names are constants of the service, never input."""

    name: str
    key: str


@dataclass(frozen=True)
class CaseEvents:
    """Where a service keeps the referral service's case events: the table, its event-type
    column and the SQL expression of an event's data (jsonb) for a row aliased `e`."""

    table: str
    type_column: str
    data: str


FactsLoader = Callable[[UUID], Awaitable[ClientFacts]]
# The service's loader of one client's facts, given its context and the request's connection.
FactsSource = Callable[[ServiceContext, asyncpg.Connection], FactsLoader]


@dataclass(frozen=True)
class AuditSource:
    table: AuditTable
    case_events: CaseEvents
    facts: FactsSource


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: after this read (opaque to clients)."""

    read_at: datetime
    key: int

    def encode(self) -> str:
        text = f"{self.read_at.isoformat()}|{self.key}"
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> Cursor:
        try:
            text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
            moment, key = text.split("|")
            number = int(key)
            if not 0 <= number < 2**63:
                raise ValueError("not a key")
            return cls(bounded_time(datetime.fromisoformat(moment)), number)
        except (ValueError, UnicodeDecodeError, binascii.Error):
            raise ValidationFailed(
                "cursor", "not a cursor of this service: send back the next_cursor of the "
                "previous page unchanged, or leave it out for the first page") from None


@dataclass(frozen=True)
class AuditQuery:
    """The filters of one request: a client, Finnish calendar days `from`…`to` (both
    included), a page size and where the page starts."""

    client_id: UUID | None = None
    date_from: date | None = None
    date_to: date | None = None
    limit: int = DEFAULT_LIMIT
    after: Cursor | None = None

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """[start, end) of the days in Finland, as instants."""
        start = (datetime.combine(self.date_from, time(), FINLAND)
                 if self.date_from else None)
        end = (datetime.combine(self.date_to + timedelta(days=1), time(), FINLAND)
               if self.date_to else None)
        return start, end


@dataclass(frozen=True)
class AuditPage:
    reads: list[dict[str, Any]]
    next_cursor: str | None


def _candidates_sql(table: AuditTable, events: CaseEvents) -> str:
    return f"""
        SELECT DISTINCT r.client_id FROM {table.name} r
        WHERE r.reader_org <> $1
          AND ($2::uuid IS NULL OR r.client_id = $2)
          AND ($3::timestamptz IS NULL OR r.read_at >= $3)
          AND ($4::timestamptz IS NULL OR r.read_at < $4)
          AND EXISTS (
              SELECT 1 FROM {events.table} e
              WHERE e.client_id = r.client_id
                AND e.{events.type_column} IN ('CaseOpened', 'ResponsibilityTransferred')
                AND $1 IN ({events.data} ->> 'organisation_id',
                           {events.data} ->> 'from_organisation_id',
                           {events.data} ->> 'to_organisation_id'))"""


def _page_sql(table: AuditTable) -> str:
    return f"""
        SELECT {table.key} AS key, read_at, reader_org, reader_role, reader_sub, client_id,
               granted
        FROM {table.name}
        WHERE (reader_org = $1 OR client_id = ANY($2::uuid[]))
          AND ($3::uuid IS NULL OR client_id = $3)
          AND ($4::timestamptz IS NULL OR read_at >= $4)
          AND ($5::timestamptz IS NULL OR read_at < $5)
          AND ($6::timestamptz IS NULL OR (read_at, {table.key}) > ($6, $7::bigint))
        ORDER BY read_at, {table.key}
        LIMIT $8"""


async def involved_clients(
    conn: asyncpg.Connection, source: AuditSource, facts_of: FactsLoader, org: str,
    query: AuditQuery, today: date, windows: Windows,
) -> list[UUID]:
    """The clients read by others (in the query's days) that `org` is involved with today."""
    start, end = query.bounds()
    rows = await conn.fetch(_candidates_sql(source.table, source.case_events),
                            org, query.client_id, start, end)
    involved = []
    for row in rows:
        facts = await facts_of(row["client_id"])
        if audit_covers(facts, org, today, windows):
            involved.append(row["client_id"])
    return involved


async def audit_page(
    conn: asyncpg.Connection, source: AuditSource, facts_of: FactsLoader, actor: Actor,
    query: AuditQuery, today: date, windows: Windows,
) -> AuditPage:
    """The recorded reads the actor (a data protection officer) may see, oldest first."""
    enforce(may_read_audit(actor), "read_audit")
    org = actor.organisation_id
    involved = await involved_clients(conn, source, facts_of, org, query, today, windows)
    start, end = query.bounds()
    after = query.after
    rows = await conn.fetch(
        _page_sql(source.table), org, involved, query.client_id, start, end,
        after.read_at if after else None, after.key if after else None, query.limit + 1)
    more = len(rows) > query.limit
    rows = rows[:query.limit]
    reads = [{
        "read_at": r["read_at"].astimezone(UTC).isoformat(),
        "organisation_id": r["reader_org"], "role": r["reader_role"],
        "professional_id": r["reader_sub"], "client_id": str(r["client_id"]),
        "granted": r["granted"],
    } for r in rows]
    last = rows[-1] if rows else None
    cursor = Cursor(last["read_at"], int(last["key"])).encode() if more and last else None
    return AuditPage(reads, cursor)


def to_csv(reads: list[dict[str, Any]]) -> str:
    """RFC 4180: a header row of FIELDS, then one line per read (granted: true/false)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FIELDS)
    for read in reads:
        writer.writerow([str(read[f]).lower() if f == "granted" else read[f] for f in FIELDS])
    return out.getvalue()


# The answer, documented ------------------------------------------------------------------


class RecordedRead(BaseModel):
    """One recorded read of a client's data, granted or refused."""

    model_config = ConfigDict(extra="forbid")

    read_at: datetime = Field(description="when the read was attempted (RFC 3339, UTC)")
    organisation_id: str = Field(description="the reading professional's organisation")
    role: str = Field(description="the reading professional's role (Role code)")
    professional_id: str = Field(description="the reading professional's id (token `sub`)")
    client_id: UUID
    granted: bool = Field(description="false: the access policy refused the read")


class ReadAudit(BaseModel):
    """GET /audit/reads as JSON: the recorded reads the caller may see, oldest first."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    organisation_id: str = Field(description="the data protection officer's organisation")
    client_id: UUID | None
    date_from: date | None = Field(alias="from")
    date_to: date | None = Field(alias="to")
    reads: list[RecordedRead]
    next_cursor: str | None = Field(
        description="more reads match: send it back as `cursor` for the next page")


AUDIT_DESCRIPTION = (
    "Role `data_protection_officer` only (others: 403). The reads of its own organisation's "
    "professionals and every read of a client the organisation is involved with today "
    "(DESIGN.md, the access policy), granted and refused, oldest first. `from`/`to` are days "
    "in Finland, both included. At most `limit` reads per answer (default 1000, at most "
    "10000); when more match, `next_cursor` (CSV: the Polku-Next-Cursor header) gives the "
    "next page.")

FormatQuery = Annotated[str, Query(
    max_length=20, description="json (default), csv, or a further format the service lists")]

# A further file format a service serves: its media type and the page's reads as a file.
FileWriter = Callable[[list[dict[str, Any]]], Response]
FileFormat = tuple[str, FileWriter]


def _documented(files: Mapping[str, FileFormat]) -> dict[int | str, dict[str, Any]]:
    content: dict[str, Any] = {CSV_MEDIA: {"schema": {
        "type": "string", "description": f"CSV (RFC 4180) with the columns {', '.join(FIELDS)}"}}}
    for name, (media, _) in files.items():
        content.setdefault(media.split(";")[0], {"schema": {
            "type": "string", "description": f"format={name}"}})
    return {200: {"model": ReadAudit, "content": content}}


def _file(page: AuditPage, format: str, files: Mapping[str, FileFormat]) -> Response:
    if format == "csv":
        response = Response(to_csv(page.reads), media_type=CSV_MEDIA, headers={
            "Content-Disposition": 'attachment; filename="polku_read_audit.csv"'})
    else:
        response = files[format][1](page.reads)
    response.headers["Cache-Control"] = "no-store"
    if page.next_cursor:
        response.headers[NEXT_CURSOR] = page.next_cursor
    return response


def audit_router(source: AuditSource, *, what: str,
                 files: Mapping[str, FileFormat] | None = None) -> APIRouter:
    """The `GET /audit/reads` route of a service whose audit is `source`: JSON and CSV, and
    the further `files` formats the service serves (reporting: csv-excel, xlsx)."""
    router = APIRouter(tags=["read audit"])
    further = dict(files or {})
    formats = ("json", "csv", *further)
    description = f"{AUDIT_DESCRIPTION} Formats (`format`): {', '.join(formats)}."

    @router.get("/audit/reads", summary=f"The read audit of {what} (data protection officers)",
                description=description, response_model=None,
                responses=_documented(further))
    async def read_audit(
        ctx: Ctx, principal: Auth,
        client_id: Annotated[UUID | None, Query(description="only reads of this client")] = None,
        date_from: Annotated[BoundedDate | None, Query(
            alias="from", description="first day (YYYY-MM-DD, in Finland)")] = None,
        date_to: Annotated[BoundedDate | None, Query(
            alias="to", description="last day (YYYY-MM-DD, in Finland)")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="reads per answer")] = (
            DEFAULT_LIMIT),
        cursor: Annotated[str | None, Query(max_length=200,
                                            description="next_cursor of the last page")] = None,
        format: FormatQuery = "json",
    ) -> Response:
        if format not in formats:
            raise ValidationFailed("format", f"must be one of {', '.join(formats)}")
        if date_from and date_to and date_from > date_to:
            raise ValidationFailed("from", f"must be on or before to ({date_to.isoformat()})")
        query = AuditQuery(client_id, date_from, date_to, limit,
                           Cursor.decode(cursor) if cursor is not None else None)
        actor = actor_of(principal, ctx.organisations)
        today = datetime.now(FINLAND).date()
        async with ctx.pool.acquire() as conn:
            page = await audit_page(conn, source, source.facts(ctx, conn), actor, query,
                                    today, windows_of(ctx.settings))
        log.info("audit.reads_listed", organisation=actor.organisation_id,
                 reads=len(page.reads), more=page.next_cursor is not None)
        if format != "json":
            return _file(page, format, further)
        return JSONResponse({
            "organisation_id": actor.organisation_id,
            "client_id": str(client_id) if client_id else None,
            "from": date_from.isoformat() if date_from else None,
            "to": date_to.isoformat() if date_to else None,
            "reads": page.reads, "next_cursor": page.next_cursor,
        }, headers={"Cache-Control": "no-store"})

    return router
