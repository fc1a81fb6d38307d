"""The typed reporting document describes exactly what reporting answers: every indicator,
ungrouped and by each of its group keys, the catalogue, the operational lists and a timeline,
each answer validated against the schema its route documents in the served /openapi.json
(services/reporting/schemas.py); CSV answers are declared as text/csv."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import pytest

from polku.infra import Infrastructure
from polku.stack import run_sync
from services.reporting.app import build_definition
from services.reporting.indicators import INDICATORS
from services.reporting.schemas import XLSX
from tests.e2e.reporting.bad_input_setup import ANALYST
from tests.e2e.reporting.support import SOTE, Pathways, publish, wait_logged
from tests.support.services import ServiceThread, auth

PERIOD = {"from": "2024-01-01", "to": "2024-12-31"}
LISTS = ("/follow-ups/overdue", "/support-plans/due-for-review", "/referrals/waiting",
         "/cases/without-baseline")


def _world() -> tuple[Pathways, str]:
    """Eight pathways of one organisation in 2024 (enough for unsuppressed rows): referred,
    accepted, assessed, scored, planned, coached and placed, closed, half followed up; one
    referral still waiting and one open case without a baseline."""
    p = Pathways()
    for i in range(8):
        client = p.client(region="kymenlaakso")
        case = p.accept(p.referral(client, f"2024-01-{10 + i}"), client, f"2024-01-{20 + i}")
        p.assessment(client, "2024-02-01")
        p.score(client, "2024-02-02", "baseline", 3 + i % 4)
        p.status(client, "2024-02-02", "baseline", "unemployed")
        p.plan(client, case, "2024-02-15")
        engagement = p.coaching(client, "2024-03-01")
        p.placement(client, "2024-04-01", "pay_subsidised_job" if i % 2 else "work_trial",
                    engagement=engagement)
        p.end_coaching(engagement, client, "2024-06-20")
        p.close(case, client, "2024-06-30")
        if i % 2:
            p.score(client, "2024-10-01", "follow_up", 6 + i % 4)
            p.status(client, "2024-10-01", "follow_up", "open_market_job")
    waiting = p.client()
    p.referral(waiting, "2024-11-01")
    open_case = p.client()
    p.accept(p.referral(open_case, "2024-03-01"), open_case, "2024-03-05")
    return p, open_case


@pytest.fixture(scope="module")
def world(infra: Infrastructure) -> Iterator[tuple[httpx.Client, dict[str, Any], str]]:
    name = f"test_reporting_{uuid.uuid4().hex[:10]}"
    url = infra.database_url(name)
    p, client = _world()
    consumer = f"reporting-models-{uuid.uuid4().hex[:8]}"
    try:
        with ServiceThread(build_definition(consumer), database_url=url,
                           kafka_bootstrap=infra.kafka_bootstrap) as service, \
                httpx.Client(base_url=service.base_url, headers=ANALYST, timeout=60) as http:
            run_sync(publish(infra.kafka_bootstrap, p.envelopes))
            run_sync(wait_logged(url, p.ids))
            yield http, http.get("/openapi.json").json(), client
    finally:
        with contextlib.suppress(Exception):
            run_sync(infra.drop_database(name))


def documented(document: dict[str, Any], path: str, media: str) -> dict[str, Any]:
    content: dict[str, Any] = document["paths"][path]["get"]["responses"]["200"]["content"]
    assert media in content, (path, sorted(content))
    return content[media].get("schema", {})  # type: ignore[no-any-return]


def conform(document: dict[str, Any], path: str, answer: httpx.Response) -> None:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    schema = {"components": document["components"],
              **documented(document, path, "application/json")}
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(answer.json())]
    assert errors == [], (str(answer.url), errors[:5])


def test_every_indicator_answer_conforms_grouped_and_ungrouped(world: Any) -> None:
    http, document, _ = world
    path = "/indicators/{indicator_id}"
    unsuppressed = 0
    for indicator in INDICATORS:
        for group_by in (None, *indicator.group_by):
            params = PERIOD | ({"group_by": group_by} if group_by else {})
            answer = http.get(f"/indicators/{indicator.id}", params=params)
            conform(document, path, answer)
            unsuppressed += sum(1 for row in answer.json()["rows"] if not row["suppressed"])
    # The world has rows with values, not only suppressed or empty ones.
    assert unsuppressed > 50


def test_the_models_would_refuse_an_answer_of_another_shape(world: Any) -> None:
    http, document, _ = world
    answer = http.get("/indicators/referrals_made", params=PERIOD).json()
    schema = {"components": document["components"],
              **documented(document, "/indicators/{indicator_id}", "application/json")}
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid(answer)
    assert not validator.is_valid({**answer, "rows": [{**answer["rows"][0], "n": "12"}]})
    assert not validator.is_valid({**answer, "rows": [{**answer["rows"][0], "unknown": 1}]})
    assert not validator.is_valid({k: v for k, v in answer.items() if k != "as_of"})


def test_csv_is_declared_where_it_is_served(world: Any) -> None:
    http, document, _ = world
    for path, url in [("/indicators/{indicator_id}", "/indicators/referrals_made"),
                      *((p, p) for p in LISTS)]:
        documented(document, path, "text/csv")
        answer = http.get(url, params=PERIOD | {"format": "csv"} if "indicators" in url
                          else {"format": "csv"})
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/csv")
    assert set(document["paths"]["/research/extract"]["get"]["responses"]["200"]["content"]) \
        == {"application/json", "text/csv", XLSX}


def test_catalogue_lists_and_timeline_conform(world: Any) -> None:
    http, document, client = world
    conform(document, "/indicators", http.get("/indicators"))
    filled = 0
    for path in LISTS:
        answer = http.get(path)
        conform(document, path, answer)
        filled += bool(answer.json()["rows"])
    assert filled == len(LISTS), "every list has rows in this world"
    path = "/clients/{client_id}/timeline"
    # The timeline is for client-work roles of an involved organisation.
    answer = http.get(f"/clients/{client}/timeline", headers=auth(SOTE, "social_worker"))
    conform(document, path, answer)
    assert answer.json()["events"]
