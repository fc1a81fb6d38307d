"""The reporting process killed with SIGKILL while it consumes, then restarted: nothing lost,
nothing counted twice — the same facts and indicator rows as an uninterrupted projection."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from services.reporting.indicators import EXACT, INDICATORS, DemoOrgLookup, compute
from services.reporting.projections import project
from services.reporting.projections.facts import FACT_TABLES
from services.runtime.migrate import apply_migrations
from tests.e2e.reporting.support import Pathways, logged, publish, wait_for, wait_logged
from tests.support.services import free_port

POLKU = Path(sys.executable).with_name("polku")
CLIENTS = 300
LATER = datetime(2030, 1, 1, tzinfo=UTC)


def history() -> Pathways:
    """Eleven events per client, over every topic, business dates in 2009; every case and
    engagement ends, so nothing of it is active in the periods other tests ask about."""
    p = Pathways()
    for i in range(CLIENTS):
        on = date(2009, 1, 1) + timedelta(days=i % 200)
        client = p.client(on=str(on), region=("kymenlaakso", "pirkanmaa")[i % 2])
        referral = p.referral(client, str(on))
        case = p.accept(referral, client, str(on + timedelta(days=i % 7)))
        p.assessment(client, on + timedelta(days=3 + i % 11))
        p.score(client, str(on + timedelta(days=4)), "baseline", i % 6)
        p.score(client, str(on + timedelta(days=60)), "end", i % 6 + i % 3)
        p.close(case, client, str(on + timedelta(days=90 + i % 13)),
                ("employment", "education", "job_coaching")[i % 3])
        engagement = p.coaching(client, str(on + timedelta(days=91)))
        p.placement(client, str(on + timedelta(days=120)),
                    ("open_market_job", "work_trial")[i % 2], engagement=engagement)
        p.end_coaching(engagement, client, str(on + timedelta(days=150)))
    return p


def serve(database_url: str, bootstrap: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": database_url, "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
           "POLKU_HTTP_PORT": str(free_port()), "POLKU_CONSUMER_MAX_RECORDS": "50",
           "POLKU_LOG_LEVEL": "WARNING"}
    with log.open("ab") as out:
        return subprocess.Popen([str(POLKU), "serve", "reporting"], env=env, stdout=out,
                                stderr=subprocess.STDOUT)


async def results(conn: asyncpg.Connection) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for spec in INDICATORS:
        for group_by in ([], ["region"] if "region" in spec.group_by else []):
            result = await compute(
                conn, spec.id, date_from=date(2009, 1, 1), date_to=date(2009, 12, 31),
                group_by=group_by, as_of=LATER, orgs=DemoOrgLookup(), disclosure=EXACT)
            found[f"{spec.id}/{','.join(group_by)}"] = result["rows"]
    return found


async def fact_counts(conn: asyncpg.Connection, ids: list[uuid.UUID]) -> dict[str, int]:
    return {
        table: await conn.fetchval(
            f"SELECT count(*) FROM facts.{table} WHERE event_id = ANY($1::uuid[])", ids)
        for table in FACT_TABLES
    }


@pytest.mark.slow
async def test_sigkill_mid_batch_then_restart_loses_and_doubles_nothing(
    database_url: str, second_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    p = history()
    await publish(kafka_bootstrap, p.envelopes)
    log = tmp_path / "reporting.log"
    process = serve(database_url, kafka_bootstrap, log)
    try:
        conn = await asyncpg.connect(database_url)

        async def partly_consumed() -> bool:
            assert process.poll() is None, log.read_text()[-3000:]
            try:
                return await logged(conn, p.ids) >= len(p.ids) // 5
            except asyncpg.UndefinedTableError:
                return False

        await wait_for(partly_consumed, what="the first fifth of the events")
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        at_kill = await logged(conn, p.ids)
        assert at_kill < len(p.ids), "killed too late to interrupt the consumption"

        process = serve(database_url, kafka_bootstrap, log)
        # The group hands the killed member's partitions on only after its session ends;
        # under the whole suite's load that once took over a minute.
        await wait_logged(database_url, p.ids, timeout=120)
        await asyncio.sleep(0.5)  # a batch in flight past the last of ours commits too
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()

    reference = await asyncpg.connect(second_url)
    try:
        await apply_migrations(reference, "services.runtime", "services.reporting")
        async with reference.transaction():
            await project(reference, p.envelopes)
        expected_facts = await fact_counts(reference, p.ids)
        expected = await results(reference)
        assert await fact_counts(conn, p.ids) == expected_facts
        assert sum(expected_facts.values()) == len(p.ids)
        assert await results(conn) == expected
        assert expected["case_duration_days/"][0]["n"] == CLIENTS
    finally:
        await reference.close()
        await conn.close()
