"""Indicators select what they count in SQL: the first of an id as known at `as_of`, the
indexes of migration 008 kept by a rebuild, regions loaded for the counted clients only."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

import asyncpg

from services.reporting.indicators import DemoOrgLookup
from services.reporting.indicators.query import Query
from services.reporting.indicators.referrals import referrals_made
from services.reporting.projections import project, rebuild
from tests.integration.reporting.builders import History, at, new_id
from tests.integration.reporting.conftest import Report


def _again(history: History, on: str, recorded: str) -> None:
    """The last event once more under a new id: the same stream, another date and record."""
    event: dict[str, Any] = copy.deepcopy(history.events[-1])
    event["id"] = new_id()
    event["time"] = at(recorded).isoformat()
    event["data"]["occurred_at"] = at(on).isoformat()
    history.events.append(event)


async def test_a_referral_counts_at_its_first_made_date_as_known_at_as_of(
    report: Report, history: History
) -> None:
    for _ in range(3):
        client = history.client()
        history.referral(client, "2024-03-01", recorded="2024-03-01")
        # The same referral, dated earlier (December 2023) but recorded only in June.
        _again(history, on="2023-12-20", recorded="2024-06-01")
    may = datetime(2024, 5, 1, tzinfo=UTC)
    assert await report("referrals_made", as_of=may) == [
        {"n": 3, "value": 3, "suppressed": False}]
    # Once the earlier record exists, the referrals were made in 2023.
    assert await report("referrals_made") == [{"n": 0, "value": 0, "suppressed": False}]
    assert await report("referrals_made", date_from="2023-01-01", date_to="2023-12-31") == [
        {"n": 3, "value": 3, "suppressed": False}]


async def test_a_case_closes_at_its_first_close_as_known_at_as_of(
    report: Report, history: History
) -> None:
    for _ in range(3):
        client = history.client()
        case = history.open_case(client, "2023-06-01", recorded="2023-06-01")
        history.close_case(case, client, "2024-05-01", recorded="2024-05-01")
        _again(history, on="2023-12-31", recorded="2024-07-01")
    june = datetime(2024, 6, 1, tzinfo=UTC)
    assert await report("case_duration_days", as_of=june) == [
        {"n": 3, "value": 335.0, "suppressed": False, "mean": 335.0, "p90": 335.0}]
    # The earlier close recorded in July moves every case's close into 2023.
    assert await report("case_duration_days") == [
        {"n": 0, "value": None, "suppressed": False, "mean": None, "p90": None}]
    assert await report("active_clients", date_to="2023-12-30") == [
        {"n": 3, "value": 3, "suppressed": False}]
    assert await report("active_clients", date_to="2023-12-31") == [
        {"n": 0, "value": 0, "suppressed": False}]
    assert await report("active_clients", date_to="2023-12-31", as_of=june) == [
        {"n": 3, "value": 3, "suppressed": False}]


async def test_only_the_counted_clients_regions_are_loaded(
    conn: asyncpg.Connection, history: History
) -> None:
    counted = history.client("pirkanmaa")
    history.client("kymenlaakso")  # registered, never referred
    history.referral(counted, "2024-02-01")
    async with conn.transaction():
        await project(conn, history.envelopes())
    q = Query(conn, date(2024, 1, 1), date(2024, 12, 31), datetime(2030, 1, 1, tzinfo=UTC),
              DemoOrgLookup(), ["region"])
    items = await referrals_made(q)
    assert [i.keys["region"] for i in items] == ["pirkanmaa"]
    assert q.regions == {counted: "pirkanmaa"}


_INDEXES = """SELECT tablename, regexp_replace(indexdef, ' ON facts(_next)?\\.', ' ON ')
              FROM pg_indexes WHERE schemaname = 'facts' ORDER BY 1, 2"""


async def test_a_rebuild_keeps_every_index_of_the_fact_tables(
    conn: asyncpg.Connection, history: History
) -> None:
    client = history.client()
    history.referral(client, "2024-02-01")
    async with conn.transaction():
        await project(conn, history.envelopes())
    before = [tuple(r) for r in await conn.fetch(_INDEXES)]
    assert ("referrals", "CREATE INDEX referrals_referral_id_local_date_recorded_at_event_id_idx"
            " ON referrals USING btree (referral_id, local_date, recorded_at, event_id)") in before
    assert any("WHERE (change = 'agreed'::text)" in d for _, d in before)
    await rebuild(conn, chunk_size=1)
    assert [tuple(r) for r in await conn.fetch(_INDEXES)] == before
