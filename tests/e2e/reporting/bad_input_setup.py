"""The world of the reporting bad-input tests: the service on a thread (own database and
consumer group) that has read one short pathway, with the tokens and query routes to probe."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from polku.infra import Infrastructure
from polku.stack import run_sync
from services.reporting.app import build_definition
from tests.e2e.reporting.support import SOTE, Pathways, publish, wait_logged
from tests.support.services import ServiceThread, auth

ANALYST = auth(SOTE, "analyst")
# Every query route and the date and time parameters it takes (API.md, reporting).
DATED_ROUTES: dict[str, tuple[str, ...]] = {
    "/indicators/referrals_made": ("from", "to", "as_of"),
    "/indicators/export?format=xlsx&group_by=month": ("from", "to", "as_of"),
    "/dashboard/data?indicator=referrals_made": ("from", "to", "as_of"),
    "/follow-ups/overdue": ("as_of",),
    "/support-plans/due-for-review": ("as_of",),
    "/referrals/waiting": ("as_of",),
    "/cases/without-baseline": ("as_of",),
}


@dataclass(frozen=True)
class Served:
    base_url: str
    database_url: str
    client_id: str


@contextlib.contextmanager
def running_reporting(infra: Infrastructure) -> Iterator[Served]:
    """Reporting with a client referred to and accepted by SOTE (so its timeline is SOTE's),
    assessed and planned; the database is dropped afterwards."""
    name = f"test_reporting_{uuid.uuid4().hex[:10]}"
    url = infra.database_url(name)
    p = Pathways()
    client = p.client()
    case = p.accept(p.referral(client, "2024-01-10"), client, "2024-01-20")
    p.score(client, "2024-01-21", "baseline", 4)
    p.plan(client, case, "2024-02-15")
    consumer = f"reporting-bad-input-{uuid.uuid4().hex[:8]}"
    try:
        with ServiceThread(build_definition(consumer), database_url=url,
                           kafka_bootstrap=infra.kafka_bootstrap) as service:
            run_sync(publish(infra.kafka_bootstrap, p.envelopes))
            run_sync(wait_logged(url, p.ids))
            yield Served(service.base_url, url, client)
    finally:
        run_sync(infra.drop_database(name))
