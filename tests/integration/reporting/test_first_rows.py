"""Marks kept on fact rows (projections/firsts.py): an id's first row as known at any `as_of`
(`superseded_at`), an opening's earliest recorded end (`ended_at`), the registration
holding at any `as_of` (`replaced_at`), the opening copied onto its ends and the closes'
measured stamps (projections/stamps.py). Right whatever order the rows arrive in, when two
writers project rows of one id at once, after a rebuild and after the migrations that add
them to a database holding facts."""

from __future__ import annotations

import asyncio
import copy
import random
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from services.reporting.projections import project, rebuild
from services.reporting.projections.firsts import ENDED_BY, FIRST_OF, LATEST_OF, OPENED_BY
from services.reporting.projections.stamps import (
    ASSESSED,
    BASELINE,
    LATER,
    NEXT,
    PLANNED,
    PRIOR,
    REGION,
    REGIONED,
    STAMPS,
)
from services.runtime.migrate import apply_migrations
from tests.integration.reporting.builders import History, at, new_id
from tests.integration.reporting.random_history import random_history


def _redated(history: History, event: dict[str, Any], on: str, recorded: str) -> dict[str, Any]:
    again: dict[str, Any] = copy.deepcopy(event)
    again["id"] = new_id()
    again["time"] = at(recorded).isoformat()
    again["data"]["occurred_at"] = at(on).isoformat()
    history.events.append(again)
    return again


def _first_as_of(rows: list[asyncpg.Record], as_of: datetime) -> str | None:
    """The definition: of the rows recorded by `as_of`, the least by (date, recorded, id)."""
    known = [r for r in rows if r["recorded_at"] <= as_of]
    if not known:
        return None
    return str(min(known, key=lambda r: (r["local_date"], r["recorded_at"], r["event_id"]))
               ["event_id"])


def _marked_first(rows: list[asyncpg.Record], as_of: datetime) -> list[str]:
    return [str(r["event_id"]) for r in rows if r["recorded_at"] <= as_of
            and (r["superseded_at"] is None or r["superseded_at"] > as_of)]


async def _rows(conn: asyncpg.Connection, referral: str) -> list[asyncpg.Record]:
    return list(await conn.fetch(
        "SELECT event_id, local_date, recorded_at, superseded_at FROM facts.referrals"
        " WHERE referral_id = $1", referral))


async def test_the_mark_gives_the_first_row_at_every_as_of_whatever_the_arrival_order(
    conn: asyncpg.Connection
) -> None:
    history = History()
    client = history.client()
    referral = history.referral(client, "2024-03-01", recorded="2024-03-01")
    made = history.events[-1]
    _redated(history, made, on="2024-01-10", recorded="2024-05-01")  # earlier, recorded later
    _redated(history, made, on="2024-04-01", recorded="2024-02-01")  # later date
    _redated(history, made, on="2023-12-01", recorded="2024-08-01")  # earliest, last recorded
    events = history.envelopes()
    arrivals = [events[1:], list(reversed(events[1:]))]
    for order in arrivals:
        await conn.execute("TRUNCATE event_log, facts.referrals, facts.clients")
        for event in order:  # one batch each: the mark is recomputed as rows come
            async with conn.transaction():
                await project(conn, [event])
        rows = await _rows(conn, referral)
        assert len(rows) == 4
        for day in range(0, 300, 7):
            as_of = at("2024-01-01") + timedelta(days=day)
            expected = _first_as_of(rows, as_of)
            assert _marked_first(rows, as_of) == ([expected] if expected else [])


async def test_two_writers_projecting_rows_of_one_id_at_once_both_see_the_other(
    conn: asyncpg.Connection, database_url: str
) -> None:
    history = History()
    client = history.client()
    referral = history.referral(client, "2024-03-01", recorded="2024-03-01")
    late = _redated(history, history.events[-1], on="2024-01-10", recorded="2024-05-01")
    async with conn.transaction():
        await project(conn, history.envelopes()[:1])  # the client
    first, second = history.envelopes()[1:]
    await _after_the_other(conn, database_url, theirs=[second], ours=[first])
    rows = {str(r["event_id"]): r for r in await _rows(conn, referral)}
    assert rows[late["id"]]["superseded_at"] is None
    assert rows[str(first.id)]["superseded_at"] == at("2024-05-01")


async def test_a_measurement_and_a_close_of_one_client_projected_at_once_see_each_other(
    conn: asyncpg.Connection, database_url: str
) -> None:
    history = History()
    client = history.client()
    case = history.open_case(client, "2024-03-01")
    history.score(client, "2024-02-20", "baseline", 4)  # in the close's baseline window
    history.close_case(case, client, "2024-06-01")
    registered, opened, measured, closed = history.envelopes()
    async with conn.transaction():
        await project(conn, [registered, opened])
    await _after_the_other(conn, database_url, theirs=[measured], ours=[closed])
    stamps = await conn.fetchrow("SELECT measured_baseline_at, measured_end_at"
                                 " FROM facts.cases_closed WHERE case_id = $1", case)
    assert tuple(stamps) == (measured.time, None)


async def test_a_registration_and_a_fact_of_one_client_projected_at_once_see_each_other(
    conn: asyncpg.Connection, database_url: str
) -> None:
    history = History()
    client = history.client(region="pirkanmaa")
    history.referral(client, "2024-03-01")
    registered, made = history.envelopes()
    await _after_the_other(conn, database_url, theirs=[registered], ours=[made])
    copied = await conn.fetchrow("SELECT client_registrations, client_region"
                                 " FROM facts.referrals WHERE client_id = $1", client)
    assert tuple(copied) == (1, "pirkanmaa")


async def test_a_plan_and_its_case_projected_at_once_see_each_other(
    conn: asyncpg.Connection, database_url: str
) -> None:
    history = History()
    client = history.client()
    case = history.open_case(client, "2024-03-01")
    history.plan(client, case, "2024-03-20", "2024-09-20")
    registered, opened, planned = history.envelopes()
    async with conn.transaction():
        await project(conn, [registered])
    await _after_the_other(conn, database_url, theirs=[planned], ours=[opened])
    stamps = await conn.fetchrow("SELECT planned_on, planned_recorded_at"
                                 " FROM facts.cases_opened WHERE case_id = $1", case)
    assert tuple(stamps) == (at("2024-03-20").date(), planned.time)


async def _after_the_other(conn: asyncpg.Connection, database_url: str, *,
                           theirs: list[Any], ours: list[Any]) -> None:
    """Another writer projects `theirs` and, before it commits, ours starts on `ours`: ours
    must wait for the other's turn (then see its rows), not go ahead."""
    other = await asyncpg.connect(database_url)
    try:
        async with other.transaction():
            await project(other, theirs)
            waiting = asyncio.create_task(_project_in_tx(conn, ours))
            await asyncio.sleep(0.3)
            assert not waiting.done()
        await waiting
    finally:
        await other.close()


async def _project_in_tx(conn: asyncpg.Connection, events: list[Any]) -> int:
    async with conn.transaction():
        return await project(conn, events)


async def _marks(conn: asyncpg.Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every mark of every marked table: first rows' `superseded_at`, openings' `ended_at`,
    registrations' `replaced_at`, the opening copied onto a close, its measured stamps."""
    marks = {}
    for table in {*FIRST_OF, *ENDED_BY, *LATEST_OF, *OPENED_BY, *STAMPED}:
        columns = ", ".join(["event_id"] + ["superseded_at"] * (table in FIRST_OF)
                            + ["ended_at"] * (table in ENDED_BY)
                            + ["replaced_at"] * (table in LATEST_OF)
                            + _opened(table) + STAMPED.get(table, []))
        marks[table] = [tuple(r) for r in await conn.fetch(
            f"SELECT {columns} FROM facts.{table} ORDER BY event_id")]
    return marks


def _opened(table: str) -> list[str]:
    """The columns of the opening copied onto the ends of `table` (OPENED_BY)."""
    if table not in OPENED_BY:
        return []
    return ["openings", "opened_on", "opened_recorded_at",
            *(f"opened_{column}" for column in OPENED_BY[table][2])]


# The stamps of projections/stamps.py: the clients' registrations on every counted row; on
# the closes, the later measurements and the referrals, more.
STAMPED = {table: list(REGION) for table in REGIONED} | {
    "cases_closed": [*STAMPS, *NEXT, *REGION], "measurements": [*BASELINE, *LATER, *REGION],
    "referrals": [*ASSESSED, *REGION], "assessments_started": [PRIOR, *REGION],
    "cases_opened": [*PLANNED, *REGION]}


def _marked(marks: dict[str, list[tuple[Any, ...]]]) -> int:
    return sum(1 for rows in marks.values() for _, *mark in rows if any(mark))


def _late_history(clients: int, seed: int, share: int) -> History:
    """A random history with one event in `share` recorded again, dated earlier, recorded
    later (registrations too: the client's latest registration changes)."""
    history = random_history(clients=clients, seed=seed)
    rng = random.Random(seed)
    for event in rng.sample(history.events, len(history.events) // share):
        day = datetime.fromisoformat(event["data"]["occurred_at"]).date()
        _redated(history, event, on=str(day - timedelta(days=rng.randrange(1, 90))),
                 recorded=str(day + timedelta(days=rng.randrange(1, 120))))
    return history


def _next_cases(history: History, rng: random.Random) -> None:
    """A third of the closed cases' clients open another case within 200 days of the close;
    two thirds of those openings are recorded again later, dated earlier, often before the
    close (the next case's first row then changes, or leaves the close's window)."""
    closes = [e for e in history.events if e["type"] == "CaseClosed"]
    for close in rng.sample(closes, len(closes) // 3):
        day = datetime.fromisoformat(close["data"]["occurred_at"]).date()
        after = rng.randrange(0, 200)
        history.open_case(close["data"]["client_id"], str(day + timedelta(days=after)))
        if rng.random() < 2 / 3:
            again = copy.deepcopy(history.events[-1])
            again["id"] = new_id()
            occurred = datetime.fromisoformat(again["data"]["occurred_at"])
            earlier = timedelta(days=after - rng.randrange(-30, after // 3 + 1))
            again["data"]["occurred_at"] = (occurred - earlier).isoformat()
            recorded = datetime.fromisoformat(again["time"])
            again["time"] = (recorded + timedelta(days=rng.randrange(10, 100))).isoformat()
            history.events.append(again)


async def test_a_rebuild_gives_every_row_the_mark_live_projection_gave_it(
    conn: asyncpg.Connection
) -> None:
    history = _late_history(clients=120, seed=3, share=10)
    _next_cases(history, random.Random(3))
    events = history.envelopes()
    random.Random(3).shuffle(events)
    for start in range(0, len(events), 50):
        async with conn.transaction():
            await project(conn, events[start:start + 50])
    live = await _marks(conn)
    assert _marked(live) > 20
    for table, stamps in STAMPED.items():
        stamped = [r[-len(stamps):] for r in live[table]]
        assert all(sum(1 for r in stamped if r[i]) > 5 for i in range(len(stamps))), table
    await rebuild(conn, chunk_size=100)
    assert await _marks(conn) == live
    # The rows the marks replaced are not left behind: compacting a table frees at most two
    # pages or a third of it (it freed two thirds and more when the rebuild kept them).
    for table in STAMPED:
        size = f"SELECT pg_relation_size('facts.{table}')"
        rebuilt = await conn.fetchval(size)
        await conn.execute(f"VACUUM FULL facts.{table}")
        assert rebuilt <= await conn.fetchval(size) * 1.5 + 16384, table


async def test_migration_009_marks_the_rows_a_database_already_holds(
    conn: asyncpg.Connection
) -> None:
    async with conn.transaction():
        await project(conn, _late_history(clients=60, seed=9, share=8).envelopes())
    live = await _marks(conn)
    assert _marked(live) > 5
    # The database as migration 008 left it, holding these facts: 009 to 018 and 020
    # (what an end carries of its opening) run again.
    for table in FIRST_OF:
        await conn.execute(f"ALTER TABLE facts.{table} DROP COLUMN superseded_at")
    for table in ENDED_BY:
        await conn.execute(f"ALTER TABLE facts.{table} DROP COLUMN ended_at")
    await conn.execute("ALTER TABLE facts.clients DROP COLUMN replaced_at")
    for table in {*OPENED_BY, *STAMPED}:
        dropped = _opened(table) + STAMPED.get(table, [])
        await conn.execute(f"ALTER TABLE facts.{table} "
                           + ", ".join(f"DROP COLUMN {column}" for column in dropped))
    await conn.execute("DROP INDEX facts.engagements_ended_local_date_idx")
    for index in ("referrals", "assessments_completed", "health_checks", "engagements_started",
                  "feedback"):
        await conn.execute(f"DROP INDEX facts.{index}_client_id_idx")
    await conn.execute("DROP INDEX facts.cases_opened_referral_id_idx")
    await conn.execute("DELETE FROM schema_migrations WHERE package = 'services.reporting'"
                       " AND version IN (9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 20)")
    await apply_migrations(conn, "services.reporting")
    assert await _marks(conn) == live
