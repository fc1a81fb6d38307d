"""The exports tests' world and readers: a reporting service that read eight pathways of
one organisation (every client consenting to research), and the rows of its CSV, CSV for
Excel and XLSX answers with their numbers parsed as each format writes them."""

from __future__ import annotations

import contextlib
import csv
import io
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import openpyxl

from polku.infra import Infrastructure
from polku.stack import run_sync
from services.reporting.app import build_definition
from services.reporting.indicators import INDICATORS
from services.reporting.schemas import XLSX
from tests.e2e.reporting.bad_input_setup import ANALYST
from tests.e2e.reporting.support import Pathways, publish, wait_logged
from tests.support.services import ServiceThread, auth

PERIOD = {"from": "2024-01-01", "to": "2024-12-31"}
RESEARCHER = auth("pirkanmaa-sote", "researcher")
FIGURES = ("n", "value")


RESEARCH_CLIENTS: list[str] = []  # the world's consenting clients (the topics are shared)


def world() -> Pathways:
    """Eight pathways of one organisation in 2024, every client consenting to research; one
    referral still waiting."""
    p = Pathways()
    for i in range(8):
        client = p.client(region="kymenlaakso")
        RESEARCH_CLIENTS.append(client)
        p.consent(client, "2024-01-05", "research")
        case = p.accept(p.referral(client, f"2024-01-{10 + i}"), client, f"2024-01-{20 + i}")
        p.assessment(client, "2024-02-01")
        p.score(client, "2024-02-02", "baseline", 3 + i % 4)
        p.status(client, "2024-02-02", "baseline", "unemployed")
        p.plan(client, case, "2024-02-15")
        engagement = p.coaching(client, "2024-03-01")
        p.placement(client, "2024-04-01", "pay_subsidised_job" if i % 2 else "work_trial",
                    engagement=engagement)
        p.end_coaching(engagement, client, "2024-06-20")
        p.close(case, client, "2024-06-30", "employment" if i % 3 else "education")
        if i % 2:
            p.score(client, "2024-10-01", "follow_up", 6 + i % 4)
    waiting = p.client()
    p.referral(waiting, "2024-11-01")
    return p


@contextlib.contextmanager
def exports_client(infra: Infrastructure) -> Iterator[httpx.Client]:
    """A reporting service that read `world()`, as the analyst's HTTP client."""
    name = f"test_reporting_{uuid.uuid4().hex[:10]}"
    url = infra.database_url(name)
    p = world()
    consumer = f"reporting-exports-{uuid.uuid4().hex[:8]}"
    try:
        with ServiceThread(build_definition(consumer), database_url=url,
                           kafka_bootstrap=infra.kafka_bootstrap) as service, \
                httpx.Client(base_url=service.base_url, headers=ANALYST, timeout=120) as client:
            run_sync(publish(infra.kafka_bootstrap, p.envelopes))
            run_sync(wait_logged(url, p.ids))
            yield client
    finally:
        with contextlib.suppress(Exception):
            run_sync(infra.drop_database(name))


def excel_rows(answer: httpx.Response) -> list[dict[str, str]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.content.startswith(b"\xef\xbb\xbf")
    text = answer.content.decode("utf-8-sig")
    assert text.count("\n") == text.count("\r\n")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


def number(text: str) -> Decimal | None:
    return None if text == "" else Decimal(text.replace(",", "."))


def same_number(parsed: Decimal | float | None, original: Any) -> bool:
    if original is None:
        return parsed is None
    return parsed is not None and Decimal(str(parsed)) == Decimal(str(original))


def sheet_rows(sheet: Any) -> list[dict[str, Any]]:
    values = list(sheet.iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


SHEETS = {"fi": ["Tiedot", "Määritelmät"], "sv": ["Data", "Definitioner"],
          "en": ["Data", "Definitions"]}
LANGS = ("fi", "sv", "en")
FIGURES_AND_EXTRAS = {*FIGURES, *(e for i in INDICATORS for e in i.extras)}


def file_rows(answer: httpx.Response, format: str) -> list[dict[str, Any]]:
    """The data rows of a `csv`, `csv-excel` or `xlsx` answer, numbers parsed as the format
    writes them (dot or comma decimals, or typed cells)."""
    assert answer.status_code == 200, answer.text
    if format == "xlsx":
        assert answer.headers["content-type"] == XLSX
        return sheet_rows(openpyxl.load_workbook(io.BytesIO(answer.content)).worksheets[0])
    if format == "csv-excel":
        return [{k: number(v) if k in FIGURES_AND_EXTRAS else v for k, v in row.items()}
                for row in excel_rows(answer)]
    assert answer.headers["content-type"].startswith("text/csv")
    assert not answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(answer.text, newline="")))
    return [{k: (None if v == "" else Decimal(v)) if k in FIGURES_AND_EXTRAS else v
             for k, v in row.items()} for row in rows]

