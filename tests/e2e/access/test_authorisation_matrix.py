"""The authorisation matrix through the four services' HTTP APIs: every route × every role ×
an involved, a referring, a target, a consented, an uninvolved and an employer organisation.

Each route gets a world of its own — a client registered by the involved organisation, who
holds its case opened from the referring organisation's referral, a referral waiting at the
target, a data-sharing consent naming the consented organisation — built through the real
referral API and consumed by the other services. A refused call is a 403 problem+json that
appended nothing; an allowed one answers as the route does (a 409 once an earlier allowed
call changed the state); reads of clients are recorded, granted and refused alike.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from typing import Any

import httpx

from contracts.codes import Role
from tests.e2e.access.conftest import Stack
from tests.e2e.access.matrix import ORGS, ROWS, WORKER, Row
from tests.support.services import auth

INVOLVED, REFERRING, TARGET, CONSENTED = (ORGS[k] for k in (
    "involved", "referring", "target", "consented"))
ROLES = sorted(Role, key=lambda role: role.value)
READ_AUDIT = {"read personal data": ("referral", "personal_data_reads"),
              "timeline": ("reporting", "timeline_reads")}


async def created(http: httpx.AsyncClient, path: str, body: dict[str, Any],
                  headers: dict[str, str], key: str) -> str:
    response = await http.post(path, json=body, headers=headers)
    assert response.status_code in (200, 201), (path, response.text)
    return str(response.json()[key])


async def world(http: httpx.AsyncClient) -> dict[str, str]:
    """A client in every relation of the matrix, through the referral API."""
    from tests.e2e.referral.support import PEOPLE

    nurse, expert = auth(INVOLVED, "nurse"), auth(REFERRING, "employment_expert")
    client = await created(http, "/clients", PEOPLE.person(), nurse, "client_id")
    first = await created(http, "/referrals", {
        "client_id": client, "target_organisation_id": INVOLVED,
        "target_service": "work_ability_assessment", "reasons": ["other"]}, expert,
        "referral_id")
    case = await created(http, f"/referrals/{first}/accept",
                         {"responsible_worker_id": WORKER}, nurse, "case_id")
    # Not to job coaching: accepting it (a row of the matrix) would make coaching start an
    # engagement by itself, an append the refused calls' "nothing appended" would see.
    waiting = await created(http, "/referrals", {
        "client_id": client, "target_organisation_id": TARGET,
        "target_service": "work_ability_assessment", "reasons": ["other"]}, nurse,
        "referral_id")
    consent = await created(http, f"/clients/{client}/consents", {
        "scope": "data_sharing", "organisation_ids": [CONSENTED]}, nurse, "consent_id")
    return {"client": client, "case": case, "referral": waiting, "consent": consent}


async def wait_consumed(stack: Stack, clients: list[str], timeout: float = 60.0) -> None:
    """Until assessment, coaching and reporting hold every world's consent."""
    ids = [uuid.UUID(c) for c in clients]
    queries = {
        "assessment": "SELECT count(*) FROM access_events WHERE event_type = 'ConsentGiven' "
                      "AND client_id = ANY($1)",
        "coaching": "SELECT count(*) FROM access_events WHERE event_type = 'ConsentGiven' "
                    "AND client_id = ANY($1)",
        "reporting": "SELECT count(*) FROM event_log WHERE type = 'ConsentGiven' "
                     "AND client_id = ANY($1)",
    }
    deadline = time.monotonic() + timeout
    for name, query in queries.items():
        while await stack[name].ctx.pool.fetchval(query, ids) < len(ids):
            assert time.monotonic() < deadline, f"{name} did not consume the worlds"
            await asyncio.sleep(0.2)


async def prepare(stack: Stack, row: Row, ids: dict[str, str]) -> None:
    """Resources of the other services that a row acts on, made by the involved team."""
    nurse, coach = auth(INVOLVED, "nurse"), auth(INVOLVED, "job_coach")
    async with stack["assessment"].client() as http:
        if "assessment" in row.needs:
            ids["assessment"] = await created(http, "/assessments", {
                "client_id": ids["client"], "case_id": ids["case"],
                "kind": "multiprofessional", "roles": []}, nurse, "assessment_id")
        if "plan" in row.needs:
            ids["plan"] = await created(http, "/support-plans", {
                "client_id": ids["client"], "case_id": ids["case"],
                "planned_services": ["job_coaching"], "review_on": "2099-01-01"}, nurse,
                "plan_id")
    async with stack["coaching"].client() as http:
        if "engagement" in row.needs:
            ids["engagement"] = await created(http, "/engagements", {
                "client_id": ids["client"], "coach_id": WORKER}, coach, "engagement_id")
        if "placement" in row.needs:
            ids["placement"] = await created(http, "/placements", {
                "client_id": ids["client"], "employer_id": "kymenlaakso-employer-2",
                "kind": "work_trial"}, coach, "placement_id")


async def appended(stack: Stack, service: str) -> int:
    if service == "reporting":
        return 0
    return int(await stack[service].ctx.pool.fetchval(
        "SELECT coalesce(max(position), 0) FROM events"))


async def run_row(stack: Stack, row: Row, ids: dict[str, str],
                  tokens: dict[tuple[str, Role], dict[str, str]]) -> tuple[list[str], Counter[str]]:
    wrong: list[str] = []
    seen: Counter[str] = Counter()
    path = row.path.format(**ids)
    async with stack[row.service].client() as http:
        for relation, org in ORGS.items():
            for role in ROLES:
                allowed = row.rule(role, relation)
                before = await appended(stack, row.service)
                body = row.body(ids) if row.body else None
                response = await http.request(row.method, path, json=body,
                                              headers=tokens[(org, role)])
                status = response.status_code
                seen["allowed" if allowed else "refused"] += 1
                if allowed and status in row.ok:
                    seen[f"{status}"] += 1
                    continue
                if not allowed and status == 403:
                    problem = response.headers["content-type"] == "application/problem+json"
                    if problem and await appended(stack, row.service) == before:
                        continue
                wrong.append(f"{row.name} / {role.value} of the {relation} organisation: "
                             f"expected {'an allowed answer' if allowed else 403}, got "
                             f"{status} {response.text[:160]}")
    return wrong, seen


async def recorded_reads(stack: Stack, row: Row, client: str) -> Counter[bool]:
    service, table = READ_AUDIT[row.name]
    rows = await stack[service].ctx.pool.fetch(
        f"SELECT granted FROM {table} WHERE client_id = $1", uuid.UUID(client))  # constant
    return Counter(r["granted"] for r in rows)


async def run_service_rows(stack: Stack, rows: list[tuple[Row, dict[str, str]]],
                           tokens: dict[tuple[str, Role], dict[str, str]]
                           ) -> tuple[list[str], Counter[str]]:
    """One service's rows in turn (so "appended nothing" can be read off its store)."""
    wrong: list[str] = []
    totals: Counter[str] = Counter()
    for row, ids in rows:
        await prepare(stack, row, ids)
        row_wrong, seen = await run_row(stack, row, ids, tokens)
        wrong += row_wrong
        totals += seen
        assert any(seen[str(s)] for s in (200, 201)), f"{row.name}: no allowed call succeeded"
        if row.name in READ_AUDIT:
            reads = await recorded_reads(stack, row, ids["client"])
            assert (reads[True], reads[False]) == (seen["allowed"], seen["refused"]), row.name
    return wrong, totals


async def test_every_route_every_role_every_relation(stack: Stack) -> None:
    tokens = {(org, role): auth(org, role.value) for org in ORGS.values() for role in ROLES}
    async with stack["referral"].client() as http:
        worlds = [await world(http) for _ in ROWS]
    await wait_consumed(stack, [w["client"] for w in worlds])
    by_service: dict[str, list[tuple[Row, dict[str, str]]]] = {}
    for row, ids in zip(ROWS, worlds, strict=True):
        by_service.setdefault(row.service, []).append((row, ids))
    # The services' rows run side by side; within a service, one row at a time.
    results = await asyncio.gather(*(run_service_rows(stack, rows, tokens)
                                     for rows in by_service.values()))
    wrong = [line for found, _ in results for line in found]
    totals = sum((seen for _, seen in results), Counter[str]())
    assert not wrong, f"{len(wrong)} wrong answers:\n" + "\n".join(wrong[:40])
    cases = len(ROWS) * len(ORGS) * len(ROLES)
    assert totals["allowed"] + totals["refused"] == cases
    print(f"authorisation matrix: {len(ROWS)} routes × {len(ROLES)} roles × {len(ORGS)} "
          f"organisations = {cases} calls, {totals['allowed']} allowed, "
          f"{totals['refused']} refused")
