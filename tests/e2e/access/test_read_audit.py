"""The read audit for data protection officers over the real services: `GET /audit/reads` of
referral (personal data) and reporting (timelines), and `polku audit reads` merging both.

One client held by the involved organisation is read, granted and refused, by several
organisations through both services in turn; a second client is read once. A data protection
officer sees its own organisation's reads and every read of a client it is involved with
(DESIGN.md, the access policy), oldest first, with exactly the fields of API.md.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import sys
import uuid
from collections.abc import Collection
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts.identity import FINLAND
from services.runtime.read_audit import ReadAudit
from tests.e2e.access.conftest import Stack
from tests.e2e.access.matrix import ORGS
from tests.e2e.access.test_authorisation_matrix import wait_consumed, world
from tests.support.services import auth, token

INVOLVED, CONSENTED, UNINVOLVED = ORGS["involved"], ORGS["consented"], ORGS["uninvolved"]
STRANGER = "paijat-hame-sote"  # a wellbeing services county with no business with the client
FIELDS = {"read_at", "organisation_id", "role", "professional_id", "client_id", "granted"}
SUBS = {org: str(uuid.uuid4()) for org in (INVOLVED, CONSENTED, UNINVOLVED, STRANGER)}
ROLE = {INVOLVED: "nurse", CONSENTED: "social_worker", UNINVOLVED: "social_worker",
        STRANGER: "social_worker"}

# (service, reader, client "a" or "b", granted), in the order the reads are made.
READS = [
    ("referral", INVOLVED, "a", True),
    ("reporting", INVOLVED, "a", True),
    ("referral", STRANGER, "a", False),
    ("reporting", STRANGER, "a", False),
    ("referral", CONSENTED, "a", True),
    ("reporting", UNINVOLVED, "a", False),
    ("referral", UNINVOLVED, "a", False),
    ("referral", INVOLVED, "b", True),
    ("reporting", CONSENTED, "a", True),
]
PATHS = {"referral": "/clients/{}", "reporting": "/clients/{}/timeline"}


def dpo(org: str) -> dict[str, str]:
    return auth(org, "data_protection_officer")


def seen(reads: list[dict[str, Any]], clients: dict[str, str]) -> list[tuple[str, str, bool]]:
    """(reader, "a"/"b", granted) of each read, checking every read's fields on the way."""
    names = {v: k for k, v in clients.items()}
    out = []
    for read in reads:
        assert set(read) == FIELDS, read
        org = read["organisation_id"]
        assert (read["role"], read["professional_id"]) == (ROLE[org], SUBS[org])
        out.append((org, names[read["client_id"]], read["granted"]))
    return out


def expected(service: str, *, readers: Collection[str] | None = None,
             clients: Collection[str] = ("a", "b")) -> list[tuple[str, str, bool]]:
    return [(org, client, granted) for s, org, client, granted in READS
            if s == service and client in clients and (readers is None or org in readers)]


async def audit(stack: Stack, service: str, headers: dict[str, str],
                **params: str) -> httpx.Response:
    async with stack[service].client() as http:
        return await http.get("/audit/reads", params=params, headers=headers)


@pytest.fixture(scope="module")
async def clients(stack: Stack) -> dict[str, str]:
    """Two clients of the involved organisation, read as READS says (answers checked)."""
    async with stack["referral"].client() as http:
        ids = {"a": (await world(http))["client"], "b": (await world(http))["client"]}
    await wait_consumed(stack, list(ids.values()))
    for service, org, client, granted in READS:
        async with stack[service].client() as http:
            answer = await http.get(PATHS[service].format(ids[client]),
                                    headers=auth(org, ROLE[org], SUBS[org]))
        assert answer.status_code == (200 if granted else 403), (service, org, answer.text)
    return ids


async def test_an_involved_organisations_officer_sees_every_read_of_its_clients_in_order(
    stack: Stack, clients: dict[str, str],
) -> None:
    for service in ("referral", "reporting"):
        answer = await audit(stack, service, dpo(INVOLVED), client_id=clients["a"])
        assert answer.status_code == 200, answer.text
        assert answer.headers["cache-control"] == "no-store"
        body = answer.json()
        assert (body["organisation_id"], body["client_id"], body["next_cursor"]) == (
            INVOLVED, clients["a"], None)
        assert seen(body["reads"], clients) == expected(service, clients={"a"}), service
        # The documented model, which forbids any other field, takes the answer as it is.
        assert len(ReadAudit.model_validate(body).reads) == len(body["reads"])
        times = [read["read_at"] for read in body["reads"]]
        assert times == sorted(times)
        everything = (await audit(stack, service, dpo(INVOLVED))).json()["reads"]
        assert seen(everything, clients) == expected(service), service


async def test_an_uninvolved_organisations_officer_sees_only_its_own_reads(
    stack: Stack, clients: dict[str, str],
) -> None:
    # Consented, a stranger and an uninvolved team read the client, but are not involved
    # with it: their officers see what their own professionals did, nothing of the others.
    for org in (CONSENTED, STRANGER, UNINVOLVED):
        for service in ("referral", "reporting"):
            answer = await audit(stack, service, dpo(org))
            assert answer.status_code == 200, answer.text
            assert seen(answer.json()["reads"], clients) == expected(service, readers={org})


async def test_only_a_data_protection_officer_reads_the_audit(
    stack: Stack, clients: dict[str, str],
) -> None:
    refused = [auth(INVOLVED, "admin"), auth(INVOLVED, "nurse"), auth(INVOLVED, "analyst"),
               dpo(ORGS["employer"]), dpo("no-such-organisation")]
    for service in ("referral", "reporting"):
        for headers in refused:
            answer = await audit(stack, service, headers, client_id=clients["a"])
            assert answer.status_code == 403, answer.text
            assert answer.headers["content-type"] == "application/problem+json"
            assert "identity_code" not in answer.text
        assert (await audit(stack, service, {})).status_code == 401


async def test_the_filters_are_validated_naming_the_field(
    stack: Stack, clients: dict[str, str],
) -> None:
    bad = [({"from": "2026-02-30"}, "from"), ({"to": "9999-12-31"}, "to"),
           ({"from": "2026-05-02", "to": "2026-05-01"}, "from"),
           ({"client_id": "not-a-uuid"}, "client_id"), ({"limit": "0"}, "limit"),
           ({"cursor": "garbage!"}, "cursor"), ({"format": "pdf"}, "format")]
    for service in ("referral", "reporting"):
        for params, field in bad:
            answer = await audit(stack, service, dpo(INVOLVED), **params)
            assert answer.status_code == 422, (service, params, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
            assert field in [e["field"] for e in answer.json()["errors"]], answer.text


async def test_days_select_by_the_finnish_date_and_pages_follow_in_order(
    stack: Stack, clients: dict[str, str],
) -> None:
    today = datetime.now(FINLAND).date()
    # The second client's read happened ten days ago (moved back in the audit table).
    await stack["referral"].ctx.pool.execute(
        "UPDATE personal_data_reads SET read_at = read_at - interval '10 days' "
        "WHERE client_id = $1", uuid.UUID(clients["b"]))
    earlier = (today - timedelta(days=10)).isoformat()
    try:
        that_day = await audit(stack, "referral", dpo(INVOLVED), **{"from": earlier,
                                                                     "to": earlier})
        assert seen(that_day.json()["reads"], clients) == [(INVOLVED, "b", True)]
        since_today = await audit(stack, "referral", dpo(INVOLVED), **{"from": today.isoformat()})
        assert seen(since_today.json()["reads"], clients) == expected("referral", clients={"a"})
        until_yesterday = await audit(stack, "referral", dpo(INVOLVED),
                                      to=(today - timedelta(days=1)).isoformat())
        assert [r["client_id"] for r in until_yesterday.json()["reads"]] == [clients["b"]]
        everything = (await audit(stack, "referral", dpo(INVOLVED))).json()["reads"]
        assert everything[0]["client_id"] == clients["b"]  # oldest first
    finally:
        await stack["referral"].ctx.pool.execute(
            "UPDATE personal_data_reads SET read_at = read_at + interval '10 days' "
            "WHERE client_id = $1", uuid.UUID(clients["b"]))
    for service in ("referral", "reporting"):
        whole = (await audit(stack, service, dpo(INVOLVED))).json()["reads"]
        pages, cursor = [], None
        while True:
            params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
            page = (await audit(stack, service, dpo(INVOLVED), **params)).json()
            assert len(page["reads"]) <= 2
            pages += page["reads"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert pages == whole and len(whole) > 2, service


async def test_csv_has_the_same_reads(stack: Stack, clients: dict[str, str]) -> None:
    for service in ("referral", "reporting"):
        json_reads = (await audit(stack, service, dpo(INVOLVED))).json()["reads"]
        answer = await audit(stack, service, dpo(INVOLVED), format="csv")
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(answer.text)))
        assert rows == [{k: str(v).lower() if k == "granted" else v for k, v in r.items()}
                        for r in json_reads]


async def test_reporting_serves_the_reads_for_excel_too(
    stack: Stack, clients: dict[str, str], tmp_path: Path,
) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    json_reads = (await audit(stack, "reporting", dpo(INVOLVED))).json()["reads"]
    excel = await audit(stack, "reporting", dpo(INVOLVED), format="csv-excel")
    assert excel.status_code == 200, excel.text
    text = excel.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert [(r["organisation_id"], r["granted"]) for r in rows] == [
        (r["organisation_id"], str(r["granted"]).lower()) for r in json_reads]
    book = await audit(stack, "reporting", dpo(INVOLVED), format="xlsx")
    assert book.status_code == 200, book.text
    target = tmp_path / "audit.xlsx"
    target.write_bytes(book.content)
    sheet = openpyxl.load_workbook(target).worksheets[0]
    cells = list(sheet.iter_rows(values_only=True))
    assert cells[0] == ("read_at", "organisation_id", "role", "professional_id", "client_id",
                        "granted")
    assert [(c[1], c[5]) for c in cells[1:]] == [
        (r["organisation_id"], r["granted"]) for r in json_reads]
    # Referral serves JSON and CSV only.
    refused = await audit(stack, "referral", dpo(INVOLVED), format="xlsx")
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["format"]


async def polku(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """The `polku` command in a child process (the services keep serving in this loop)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "polku", *args, env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return int(process.returncode or 0), out.decode(), err.decode()


def urls(stack: Stack) -> list[str]:
    return ["--referral-url", stack["referral"].base_url,
            "--reporting-url", stack["reporting"].base_url]


async def test_the_command_merges_both_services_chronologically(
    stack: Stack, clients: dict[str, str], tmp_path: Path,
) -> None:
    code, out, err = await polku(
        "audit", "reads", "--client-id", clients["a"], *urls(stack),
        env={"POLKU_TOKEN": token(INVOLVED, "data_protection_officer")})
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["read_at", "service", "organisation_id", "role",
                             "professional_id", "client_id", "granted"]
    assert [(r["service"], r["organisation_id"], r["granted"]) for r in rows] == [
        (service, org, str(granted).lower()) for service, org, client, granted in READS
        if client == "a"]
    assert [datetime.fromisoformat(r["read_at"]) for r in rows] == sorted(
        datetime.fromisoformat(r["read_at"]) for r in rows)
    # Development: --org signs the officer's token; an uninvolved officer sees its own.
    target = tmp_path / "audit.csv"
    code, _, err = await polku("audit", "reads", "--org", UNINVOLVED, "--output", str(target),
                               *urls(stack), env={"POLKU_TOKEN": ""})
    assert code == 0, err
    own = list(csv.DictReader(target.open(encoding="utf-8")))
    assert [(r["service"], r["organisation_id"]) for r in own] == [
        ("reporting", UNINVOLVED), ("referral", UNINVOLVED)]
    # A token of another role: the services' refusal, said plainly, exit 2.
    code, _, err = await polku("audit", "reads", *urls(stack),
                               env={"POLKU_TOKEN": token(INVOLVED, "admin")})
    assert code == 2 and "403" in err and "data_protection_officer" in err, err


async def test_the_command_writes_xlsx_with_times_and_booleans(
    stack: Stack, clients: dict[str, str], tmp_path: Path,
) -> None:
    pytest.importorskip("xlsxwriter")
    openpyxl = pytest.importorskip("openpyxl")
    target = tmp_path / "audit.xlsx"
    code, _, err = await polku(
        "audit", "reads", "--client-id", clients["a"], "--format", "xlsx", "--output",
        str(target), *urls(stack),
        env={"POLKU_TOKEN": token(INVOLVED, "data_protection_officer")})
    assert code == 0, err
    sheet = openpyxl.load_workbook(target).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[2], r[6]) for r in rows] == [
        (service, org, granted) for service, org, client, granted in READS if client == "a"]
    assert all(isinstance(r[0], datetime) for r in rows)
