"""The research extract: one pseudonymous row per client with an active research consent.

The research pseudonym is HMAC-SHA256(research key, client_id), truncated: stable across
extracts, unlinkable to the `client_id` without the key. Age is a 5-year band computed from
the birth year at the extract date; dates are the Finnish business dates of the facts.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from collections import defaultdict
from datetime import date, datetime
from typing import Any

import asyncpg

from services.reporting.access import has_research_consent

PSEUDONYM_HEX = 32

COLUMNS = (
    "research_id", "age_band", "region",
    "first_referral_on", "first_case_opened_on", "first_assessment_on", "first_plan_on",
    "coaching_started_on", "first_placement_on", "first_placement_kind",
    "last_case_closed_on", "last_exit_destination",
    "baseline_work_ability_score", "latest_work_ability_score",
    "baseline_labour_market_status", "latest_labour_market_status",
)

# column → (fact table, value column, extra filter, first or last by date and recorded time)
_MILESTONES: dict[str, tuple[str, str, str, str]] = {
    "first_referral_on": ("referrals", "local_date", "", "first"),
    "first_case_opened_on": ("cases_opened", "local_date", "", "first"),
    "first_assessment_on": ("assessments_started", "local_date", "", "first"),
    "first_plan_on": ("support_plans", "local_date", "AND change = 'agreed'", "first"),
    "coaching_started_on": ("engagements_started", "local_date", "", "first"),
    "first_placement_on": ("placements_started", "local_date", "", "first"),
    "first_placement_kind": ("placements_started", "kind", "", "first"),
    "last_case_closed_on": ("cases_closed", "local_date", "", "last"),
    "last_exit_destination": ("cases_closed", "exit_destination", "", "last"),
    "baseline_work_ability_score": (
        "measurements", "score",
        "AND measure = 'work_ability_score' AND phase = 'baseline'", "first"),
    "latest_work_ability_score": (
        "measurements", "score", "AND measure = 'work_ability_score'", "last"),
    "baseline_labour_market_status": (
        "measurements", "status",
        "AND measure = 'labour_market_status' AND phase = 'baseline'", "first"),
    "latest_labour_market_status": (
        "measurements", "status", "AND measure = 'labour_market_status'", "last"),
}


def pseudonym(key: str, client_id: str) -> str:
    digest = hmac.new(key.encode(), str(client_id).lower().encode(), hashlib.sha256)
    return digest.hexdigest()[:PSEUDONYM_HEX]


def age_band(birth_year: int | None, on: date) -> str | None:
    if birth_year is None:
        return None
    low = max(0, on.year - birth_year) // 5 * 5
    return f"{low}-{low + 4}"


async def consenting_clients(conn: asyncpg.Connection, today: date) -> list[str]:
    """Clients with a research consent that is neither withdrawn nor expired on `today`."""
    rows = await conn.fetch(
        """SELECT client_id::text AS client_id, envelope::text AS envelope FROM event_log
           WHERE type IN ('ConsentGiven', 'ConsentWithdrawn') AND client_id IS NOT NULL
           ORDER BY ingest_seq"""
    )
    by_client: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_client[r["client_id"]].append(json.loads(r["envelope"]))
    return sorted(c for c, envs in by_client.items() if has_research_consent(envs, today))


async def _milestone(
    conn: asyncpg.Connection, column: str, clients: list[str], as_of: datetime
) -> dict[str, Any]:
    table, value, where, which = _MILESTONES[column]
    direction = "ASC" if which == "first" else "DESC"
    # Identifiers come from the fixed _MILESTONES table above, never from input.
    rows = await conn.fetch(
        f"""SELECT DISTINCT ON (client_id) client_id, {value} AS value FROM facts.{table}
            WHERE client_id = ANY($1::text[]) AND recorded_at <= $2 {where}
            ORDER BY client_id, local_date {direction}, recorded_at {direction}""",
        clients, as_of,
    )
    return {r["client_id"]: r["value"] for r in rows}


async def extract(
    conn: asyncpg.Connection, *, key: str, today: date, as_of: datetime
) -> list[dict[str, Any]]:
    """The extract rows, ordered by research id (an order that reveals nothing)."""
    clients = await consenting_clients(conn, today)
    registered = {
        r["client_id"]: r for r in await conn.fetch(
            """SELECT DISTINCT ON (client_id) client_id, birth_year, home_region
               FROM facts.clients WHERE client_id = ANY($1::text[]) AND recorded_at <= $2
               ORDER BY client_id, recorded_at DESC""",
            clients, as_of,
        )
    }
    values = {column: await _milestone(conn, column, clients, as_of) for column in _MILESTONES}
    rows = []
    for client in clients:
        person = registered.get(client)
        row: dict[str, Any] = {
            "research_id": pseudonym(key, client),
            "age_band": age_band(person["birth_year"] if person else None, today),
            "region": person["home_region"] if person else None,
        }
        row |= {column: values[column].get(client) for column in _MILESTONES}
        rows.append(row)
    return sorted(rows, key=lambda r: r["research_id"])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in COLUMNS])
    return out.getvalue()
