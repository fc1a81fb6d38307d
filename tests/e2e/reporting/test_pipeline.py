"""Published envelopes → the running reporting service → indicators over HTTP.

The events are delivered twice, and across topics in reverse order (coaching's first,
referral's last); the rows must still be the hand-worked ones.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from pydantic import ValidationError

from services.reporting.app import SuppressionThresholdTooLow, build_definition, record_keys
from services.reporting.indicators import (
    EXACT,
    DemoOrgLookup,
    DisclosureControl,
    compute,
    configured_disclosure,
)
from services.reporting.projections.keys import keyed_with
from services.runtime.service import create_app
from services.runtime.settings import ServiceSettings
from tests.e2e.reporting.support import (
    Pathways,
    by_topic_reversed,
    publish,
    wait_caught_up,
    wait_logged,
)
from tests.support.services import auth, running_service

PERIOD = {"from": "2013-01-01", "to": "2013-12-31"}
ANALYST = auth("kymenlaakso-sote", "analyst")


class Exact:
    """The same request computed in-process on the service's database: exactly (the
    definition) and through the service's configured disclosure control (what it publishes)."""

    def __init__(self, conn: asyncpg.Connection, settings: ServiceSettings) -> None:
        self.conn, self.settings = conn, settings

    async def _rows(self, indicator: str, answer: dict[str, Any],
                    control: DisclosureControl) -> list[dict[str, Any]]:
        # The row keys the answer was grouped by (every one is a one-key request here).
        keys = [k for k in answer["rows"][0] if k in ("target_service", "region")]
        result = await compute(
            self.conn, indicator, date_from=date.fromisoformat(answer["from"]),
            date_to=date.fromisoformat(answer["to"]), group_by=keys,
            as_of=datetime.fromisoformat(answer["as_of"]), orgs=DemoOrgLookup(),
            threshold=self.settings.polku_suppression_threshold, disclosure=control)
        rows: list[dict[str, Any]] = result["rows"]
        return rows

    async def rows(self, indicator: str, answer: dict[str, Any]) -> list[dict[str, Any]]:
        return await self._rows(indicator, answer, EXACT)

    async def published(self, indicator: str, answer: dict[str, Any]) -> list[dict[str, Any]]:
        return await self._rows(indicator, answer, configured_disclosure(self.settings))


def history() -> Pathways:
    """Six clients referred on 1 Feb 2013, assessed 3, 5, 10, 10, 20 and 40 days later; two
    of them referred again to job coaching; five coached through the year, three placed (two
    in work). Business dates in 2013, a year no other test's events reach."""
    p = Pathways()
    clients = [p.client() for _ in range(6)]
    for client, days in zip(clients, (3, 5, 10, 10, 20, 40), strict=True):
        p.referral(client, "2013-02-01")
        p.assessment(client, date(2013, 2, 1) + timedelta(days=days))
    for client in clients[:2]:
        p.referral(client, "2013-05-01", service="job_coaching")
    engagements = [p.coaching(client, "2013-03-01") for client in clients[:5]]
    for client, engagement, kind in zip(
        clients, engagements, ("open_market_job", "pay_subsidised_job", "work_trial"),
        strict=False,
    ):
        p.placement(client, "2013-04-01", kind, engagement=engagement)
    for client, engagement in zip(clients, engagements, strict=False):
        p.end_coaching(engagement, client, "2013-12-31")
    return p


async def test_indicators_from_topics_duplicated_and_reordered(
    database_url: str, kafka_bootstrap: str
) -> None:
    p = history()
    await publish(kafka_bootstrap, by_topic_reversed(p.envelopes))
    await publish(kafka_bootstrap, p.envelopes)  # every event a second time
    consumer = f"reporting-e2e-{uuid.uuid4().hex[:8]}"
    async with running_service(
        build_definition(consumer), database_url=database_url, kafka_bootstrap=kafka_bootstrap
    ) as svc, svc.client() as http:
        await wait_logged(database_url, p.ids)
        await wait_caught_up(database_url, consumer, kafka_bootstrap)

        conn = await asyncpg.connect(database_url)
        try:
            exact = Exact(conn, svc.settings)
            days = await http.get("/indicators/days_to_assessment", params=PERIOD,
                                  headers=ANALYST)
            assert days.status_code == 200, days.text
            # The hand-worked rows are the exact ones; the API publishes them perturbed
            # (INDICATORS.md, disclosure control): n within 2, day figures exact.
            assert await exact.rows("days_to_assessment", days.json()) == [
                {"n": 6, "value": 10, "p90": 40, "suppressed": False}]
            assert days.json() == {
                "indicator": "days_to_assessment", "from": "2013-01-01", "to": "2013-12-31",
                "as_of": days.json()["as_of"],
                "disclosure_control": {"suppression_threshold": 5, "perturbation": "cell-key",
                                       "max_noise": 2},
                "rows": await exact.published("days_to_assessment", days.json()),
            }
            assert days.json()["rows"][0] | {"n": 6} == {
                "n": 6, "value": 10, "p90": 40, "suppressed": False}
            assert abs(days.json()["rows"][0]["n"] - 6) <= 2

            made = await http.get("/indicators/referrals_made", headers=ANALYST,
                                  params={**PERIOD, "group_by": "target_service"})
            assert await exact.rows("referrals_made", made.json()) == [
                {"target_service": "job_coaching", "n": None, "value": None,
                 "suppressed": True},
                {"target_service": "work_ability_assessment", "n": 6, "value": 6,
                 "suppressed": False},
            ]
            shown = made.json()["rows"]
            assert shown == await exact.published("referrals_made", made.json())
            assert shown[0] == {"target_service": "job_coaching", "n": None, "value": None,
                                "suppressed": True}
            # n and value count the same six clients' six referrals: the same noise.
            assert shown[1]["n"] == shown[1]["value"] and abs(shown[1]["n"] - 6) <= 2

            employed = await http.get("/indicators/coaching_employment_rate", headers=ANALYST,
                                      params={**PERIOD, "group_by": "region"})
            assert await exact.rows("coaching_employment_rate", employed.json()) == [
                {"region": "kymenlaakso", "n": 5, "value": 0.4, "any_placement_share": 0.6,
                 "suppressed": False},
            ]
            assert employed.json()["rows"] == await exact.published(
                "coaching_employment_rate", employed.json())

            as_csv = await http.get("/indicators/referrals_made", headers=ANALYST,
                                    params={**PERIOD, "group_by": "target_service",
                                            "format": "csv"})
            assert as_csv.headers["content-type"].startswith("text/csv")
            # The same cells as the JSON: the same perturbed figures.
            assert as_csv.text == (
                "target_service,target_service_label,n,value,suppressed\r\n"
                "job_coaching,Työhönvalmennus,,,true\r\n"
                f"work_ability_assessment,Työkyvyn arviointi,{shown[1]['n']},"
                f"{shown[1]['value']},false\r\n")
            before = await http.get("/indicators/days_to_assessment", headers=ANALYST,
                                    params={**PERIOD, "as_of": "2019-12-31T00:00:00Z"})
            # Nothing counted: n 0 is published as it is.
            assert before.json()["rows"] == [{"n": 0, "value": None, "p90": None,
                                              "suppressed": False}]
            assert await conn.fetchval(
                "SELECT count(*) FROM facts.referrals WHERE event_id = ANY($1::uuid[])",
                p.ids) == 8
            # Keyed with the service's perturbation key (projections/keys.py), its rows
            # by the consumer as it wrote them: the figures above summed their keys.
            assert await keyed_with(conn) == record_keys(svc.settings).fingerprint
            assert await conn.fetchval(
                "SELECT count(*) FROM facts.referrals WHERE client_key IS NULL") == 0
        finally:
            await conn.close()
        metrics = (await http.get("/metrics")).text
        assert "polku_projection_position" in metrics
        assert "polku_consumer_lag" in metrics


async def test_indicator_requests_that_are_refused(
    database_url: str, kafka_bootstrap: str
) -> None:
    async with running_service(
        build_definition(f"reporting-e2e-{uuid.uuid4().hex[:8]}"),
        database_url=database_url, kafka_bootstrap=kafka_bootstrap,
    ) as svc, svc.client() as http:
        catalogue = await http.get("/indicators", headers=ANALYST)
        assert catalogue.status_code == 200
        entries = {i["id"]: i for i in catalogue.json()["indicators"]}
        assert len(entries) == 30
        assert entries["active_clients"]["name_fi"] == "Avoimet asiakkuudet päivänä"
        assert entries["active_clients"]["group_by"] == ["service", "organisation", "region"]

        default = await http.get("/indicators/referrals_made", headers=ANALYST)
        year = date.today().year - 1
        assert (default.json()["from"], default.json()["to"]) == (f"{year}-01-01",
                                                                  f"{year}-12-31")

        unknown_key = await http.get("/indicators/active_clients", headers=ANALYST,
                                     params={"group_by": "region,month"})
        assert unknown_key.status_code == 422
        assert unknown_key.headers["content-type"] == "application/problem+json"
        problem = unknown_key.json()
        assert problem["errors"][0]["field"] == "group_by"
        assert "service, organisation, region" in problem["detail"]
        assert "month" in problem["detail"]

        missing = await http.get("/indicators/no_such_thing", headers=ANALYST)
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"

        for bad in ({"from": "2024-13-01"}, {"to": "yesterday"},
                    {"from": "2024-12-01", "to": "2024-01-01"},
                    {"as_of": "2024-01-01T00:00:00"}, {"format": "xml"}):
            refused = await http.get("/indicators/referrals_made", headers=ANALYST,
                                     params=bad)
            assert refused.status_code == 422, (bad, refused.text)
            assert refused.json()["errors"], bad

        assert (await http.get("/indicators/referrals_made")).status_code == 401
        assert (await http.get("/indicators")).status_code == 401
        assert (await http.get("/referrals/waiting")).status_code == 401

        waiting = await http.get("/referrals/waiting", headers=ANALYST)
        assert waiting.status_code == 200
        assert waiting.json()["organisation"] == "kymenlaakso-sote"
        overdue = await http.get("/follow-ups/overdue", headers=ANALYST,
                                 params={"format": "csv"})
        assert overdue.text.startswith("case_id,client_id,service,service_label,closed_on,due_on,")


async def test_start_refuses_a_suppression_threshold_below_three(
    database_url: str, kafka_bootstrap: str
) -> None:
    with pytest.raises(ValidationError, match="POLKU_SUPPRESSION_THRESHOLD must be at least 3"):
        ServiceSettings(polku_suppression_threshold=2)
    settings = ServiceSettings(database_url=database_url, kafka_bootstrap_servers=kafka_bootstrap)
    settings.polku_suppression_threshold = 2  # past the validator, as a bad deployment might
    app = create_app(build_definition(f"reporting-e2e-{uuid.uuid4().hex[:8]}"), settings)
    with pytest.raises(SuppressionThresholdTooLow, match="below 3"):
        async with app.router.lifespan_context(app):
            pass
