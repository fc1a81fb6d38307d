"""Facts as they existed at `as_of`, loaded into plain objects for the indicator families.

Every query filters `recorded_at <= as_of`; "first" and "latest" order by the business date
and then the recorded time (INDICATORS.md, Ties), never by the time of day.

These loaders read every fact of their kind (the operational lists need them whole); what
an indicator counts is selected in SQL by `selections`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import asyncpg

Stamp = tuple[date, datetime]
T = TypeVar("T", bound=Any)


@dataclass
class Transfer:
    on: date
    recorded: datetime
    client: str | None
    from_org: str | None
    to_org: str | None
    to_worker: str | None


@dataclass
class Case:
    case_id: str
    client: str | None
    organisation: str | None
    service: str | None
    referral_id: str | None
    worker: str | None
    opened: date
    opened_recorded: datetime
    closed: date | None = None
    exit_destination: str | None = None
    transfers: list[Transfer] = field(default_factory=list)

    @property
    def opened_stamp(self) -> Stamp:
        return (self.opened, self.opened_recorded)

    def open_on(self, day: date) -> bool:
        return self.opened <= day and (self.closed is None or self.closed > day)

    def holder(self, day: date) -> tuple[str | None, str | None]:
        """Organisation and worker holding the case after every transfer dated ≤ `day`."""
        org, worker = self.organisation, self.worker
        for transfer in self.transfers:
            if transfer.on <= day:
                org, worker = transfer.to_org, transfer.to_worker
        return org, worker


async def load_transfers(
    conn: asyncpg.Connection, as_of: datetime, cases: list[str] | None = None,
    until: date | None = None,
) -> dict[str, list[Transfer]]:
    """Each case's transfers in order; only of `cases` and dated by `until` when given."""
    if cases is None:
        rows = await conn.fetch(
            """SELECT case_id, client_id, from_organisation_id, to_organisation_id,
                      to_worker_id, local_date, recorded_at FROM facts.case_transfers
               WHERE recorded_at <= $1 ORDER BY local_date, recorded_at, event_id""",
            as_of,
        )
    else:
        rows = await conn.fetch(
            """SELECT case_id, client_id, from_organisation_id, to_organisation_id,
                      to_worker_id, local_date, recorded_at FROM facts.case_transfers
               WHERE case_id = ANY($2::text[]) AND recorded_at <= $1 AND local_date <= $3
               ORDER BY local_date, recorded_at, event_id""",
            as_of, cases, until or date.max,
        )
    found: dict[str, list[Transfer]] = defaultdict(list)
    for r in rows:
        found[r["case_id"]].append(Transfer(
            r["local_date"], r["recorded_at"], r["client_id"], r["from_organisation_id"],
            r["to_organisation_id"], r["to_worker_id"],
        ))
    return found


async def load_cases(conn: asyncpg.Connection, as_of: datetime) -> list[Case]:
    """Cases whose `CaseOpened` exists at `as_of`, with first close and ordered transfers."""
    opened = await conn.fetch(
        """SELECT DISTINCT ON (case_id) case_id, client_id, organisation_id, service,
                  referral_id, responsible_worker_id, local_date, recorded_at
           FROM facts.cases_opened WHERE recorded_at <= $1
           ORDER BY case_id, local_date, recorded_at""",
        as_of,
    )
    closed = {
        r["case_id"]: r
        for r in await conn.fetch(
            """SELECT DISTINCT ON (case_id) case_id, exit_destination, local_date
               FROM facts.cases_closed WHERE recorded_at <= $1
               ORDER BY case_id, local_date, recorded_at""",
            as_of,
        )
    }
    transfers = await load_transfers(conn, as_of)
    cases = []
    for r in opened:
        close = closed.get(r["case_id"])
        cases.append(Case(
            r["case_id"], r["client_id"], r["organisation_id"], r["service"], r["referral_id"],
            r["responsible_worker_id"], r["local_date"], r["recorded_at"],
            close["local_date"] if close else None, close["exit_destination"] if close else None,
            transfers.get(r["case_id"], []),
        ))
    return cases


@dataclass
class Decision:
    kind: str
    on: date
    recorded: datetime


@dataclass
class Referral:
    referral_id: str
    client: str | None
    made: date
    recorded: datetime
    referring_org_kind: str | None
    target_organisation: str | None
    target_service: str | None
    reasons: list[str]
    triage: str | None
    unemployment_months: int | None
    decisions: list[Decision] = field(default_factory=list)
    # The client's first AssessmentStarted dated on or after `made` (selections loads it
    # when asked).
    first_assessment: date | None = None

    @property
    def decision(self) -> Decision | None:
        return self.decisions[0] if self.decisions else None


async def load_referrals(conn: asyncpg.Connection, as_of: datetime) -> list[Referral]:
    rows = await conn.fetch(
        """SELECT DISTINCT ON (referral_id) * FROM facts.referrals WHERE recorded_at <= $1
           ORDER BY referral_id, local_date, recorded_at""",
        as_of,
    )
    referrals = {
        r["referral_id"]: Referral(
            r["referral_id"], r["client_id"], r["local_date"], r["recorded_at"],
            r["referring_org_kind"], r["target_organisation_id"], r["target_service"],
            list(r["reasons"] or []), r["triage"], r["unemployment_months"],
        )
        for r in rows
    }
    for d in await conn.fetch(
        """SELECT referral_id, decision, local_date, recorded_at FROM facts.referral_decisions
           WHERE recorded_at <= $1 ORDER BY local_date, recorded_at, event_id""",
        as_of,
    ):
        referral = referrals.get(d["referral_id"])
        if referral is not None:
            referral.decisions.append(Decision(d["decision"], d["local_date"], d["recorded_at"]))
    return list(referrals.values())


@dataclass
class Assessment:
    assessment_id: str
    client: str | None
    case_id: str | None
    organisation: str | None
    kind: str | None
    started: date
    recorded: datetime
    cancelled: bool

    @property
    def stamp(self) -> Stamp:
        return (self.started, self.recorded)


async def load_assessments(conn: asyncpg.Connection, as_of: datetime) -> list[Assessment]:
    """Started assessments in (date, recorded) order; `cancelled` as known at `as_of`."""
    rows = await conn.fetch(
        """SELECT s.assessment_id, s.client_id, s.case_id, s.organisation_id, s.kind,
                  s.local_date, s.recorded_at,
                  EXISTS (SELECT 1 FROM facts.assessments_cancelled c
                          WHERE c.assessment_id = s.assessment_id
                            AND c.recorded_at <= $1) AS cancelled
           FROM facts.assessments_started s WHERE s.recorded_at <= $1
           ORDER BY s.local_date, s.recorded_at, s.event_id""",
        as_of,
    )
    return [
        Assessment(r["assessment_id"], r["client_id"], r["case_id"], r["organisation_id"],
                   r["kind"], r["local_date"], r["recorded_at"], r["cancelled"])
        for r in rows
    ]


@dataclass
class Measurement:
    client: str | None
    measure: str
    phase: str | None
    score: Decimal | None
    status: str | None
    on: date
    recorded: datetime

    @property
    def stamp(self) -> Stamp:
        return (self.on, self.recorded)


async def load_measurements(
    conn: asyncpg.Connection, as_of: datetime, measures: tuple[str, ...],
    period: tuple[date, date] | None = None,
) -> list[Measurement]:
    """Measurements of the given kinds (dated in `period` when given) in (date, recorded)
    order."""
    first, last = period or (date.min, date.max)
    rows = await conn.fetch(
        """SELECT client_id, measure, phase, score, status, local_date, recorded_at
           FROM facts.measurements WHERE measure = ANY($2::text[]) AND recorded_at <= $1
             AND local_date BETWEEN $3 AND $4
           ORDER BY local_date, recorded_at, event_id""",
        as_of, list(measures), first, last,
    )
    return [
        Measurement(r["client_id"], r["measure"], r["phase"], r["score"], r["status"],
                    r["local_date"], r["recorded_at"])
        for r in rows
    ]


def by_client(things: list[T]) -> dict[str | None, list[T]]:
    grouped: dict[str | None, list[T]] = defaultdict(list)
    for thing in things:
        grouped[thing.client].append(thing)
    return grouped

