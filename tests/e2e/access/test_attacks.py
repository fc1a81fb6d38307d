"""The audit's attacks, replayed by an organisation with valid accounts through the HTTP APIs:
what the access policy refuses is a 403 that appends nothing and reads nothing (the read audit
agrees); what it allows but makes visible shows in its metric."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from tests.e2e.access.conftest import Stack
from tests.e2e.access.matrix import ORGS
from tests.e2e.access.test_authorisation_matrix import wait_consumed, world
from tests.e2e.referral.support import PEOPLE
from tests.support.services import auth

STRANGER = "paijat-hame-sote"  # a wellbeing services county with no business here
EMPLOYER = ORGS["employer"]


async def events(stack: Stack) -> dict[str, int]:
    return {name: int(await stack[name].ctx.pool.fetchval("SELECT count(*) FROM events"))
            for name in ("referral", "assessment", "coaching")}


async def reads(stack: Stack, client: str) -> list[tuple[str, bool]]:
    personal = await stack["referral"].ctx.pool.fetch(
        "SELECT reader_org, granted FROM personal_data_reads WHERE client_id = $1 "
        "ORDER BY read_id", uuid.UUID(client))
    timeline = await stack["reporting"].ctx.pool.fetch(
        "SELECT reader_org, granted FROM timeline_reads WHERE client_id = $1 ORDER BY id",
        uuid.UUID(client))
    return [(r["reader_org"], r["granted"]) for r in [*personal, *timeline]]


def metric(text: str, name: str, organisation: str) -> float:
    found = re.search(rf'^{name}{{[^}}]*organisation="{re.escape(organisation)}"[^}}]*}} (\S+)$',
                      text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def test_a_stranger_with_valid_accounts_is_refused_and_nothing_changes(
    stack: Stack,
) -> None:
    async with stack["referral"].client() as http:
        ids = await world(http)
    await wait_consumed(stack, [ids["client"]])
    client = ids["client"]
    worker, admin = auth(STRANGER, "social_worker"), auth(STRANGER, "admin")
    before, read_before = await events(stack), await reads(stack, client)
    attempts: list[tuple[str, str, str, object, dict[str, str]]] = [
        ("referral", "POST", f"/clients/{client}/consents",
         {"scope": "data_sharing", "organisation_ids": [STRANGER]}, worker),
        ("referral", "DELETE", f"/clients/{client}/consents/{ids['consent']}", None, worker),
        ("referral", "POST", f"/clients/{client}/erase", None, admin),
        ("referral", "POST", f"/clients/{client}/erase", None, auth(EMPLOYER, "admin")),
        ("referral", "GET", f"/clients/{client}", None, worker),
        ("referral", "POST", f"/cases/{ids['case']}/close", {"exit_destination": "other"},
         worker),
        ("referral", "POST", "/referrals", {
            "client_id": client, "target_organisation_id": EMPLOYER,
            "target_service": "job_coaching", "reasons": ["other"]},
         auth(EMPLOYER, "team_lead")),
        ("reporting", "GET", f"/clients/{client}/timeline", None, worker),
        ("reporting", "GET", f"/clients/{client}/timeline", None, auth(EMPLOYER, "nurse")),
        ("assessment", "POST", f"/clients/{client}/work-ability-scores",
         {"score": 2, "phase": "interim"}, worker),
        ("coaching", "POST", "/placements", {
            "client_id": client, "employer_id": EMPLOYER, "kind": "work_trial"},
         auth(EMPLOYER, "job_coach")),
    ]
    for service, method, path, body, headers in attempts:
        async with stack[service].client() as http:
            answer = await http.request(method, path, json=body, headers=headers)
        assert answer.status_code == 403, (path, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert "identity_code" not in answer.text
    assert await events(stack) == before
    # Reads refused are recorded as refused; nothing was granted.
    assert await reads(stack, client) == [
        *read_before, (STRANGER, False), (STRANGER, False), (EMPLOYER, False)]


async def test_referring_a_client_to_itself_is_allowed_and_visible(stack: Stack) -> None:
    """What the policy cannot prevent — a service organisation referring a client to itself,
    accepting, recording a consent — it counts per organisation."""
    metrics_path = "/metrics"
    long_ago = (datetime.now(UTC) - timedelta(days=200)).isoformat()
    async with stack["referral"].client() as http:
        before = (await http.get(metrics_path)).text
        ids = await world(http)
        client = ids["client"]
        worker = auth(STRANGER, "social_worker")
        referral = await http.post("/referrals", headers=worker, json={
            "client_id": client, "target_organisation_id": STRANGER,
            "target_service": "job_coaching", "reasons": ["other"]})
        assert referral.status_code == 201, referral.text
        # As the referrer it may record the client's consent (counted: a referrer's consent).
        consent = await http.post(f"/clients/{client}/consents", headers=worker, json={
            "scope": "data_sharing", "organisation_ids": [STRANGER]})
        assert consent.status_code == 201, consent.text
        accepted = await http.post(f"/referrals/{referral.json()['referral_id']}/accept",
                                   headers=worker,
                                   json={"responsible_worker_id": str(uuid.uuid4())})
        assert accepted.status_code == 200, accepted.text
        read = await http.get(f"/clients/{client}", headers=worker)
        assert read.status_code == 200
        # Its case closed (recorded late) more than 180 days ago: only its own consent is left.
        closed = await http.post(f"/cases/{accepted.json()['case_id']}/close", headers=worker,
                                 json={"exit_destination": "other", "occurred_at": long_ago})
        assert closed.status_code == 200, closed.text
        again = await http.get(f"/clients/{client}", headers=worker)
        assert again.status_code == 200
        after = (await http.get(metrics_path)).text
    for name in ("polku_self_referrals_total", "polku_consents_recorded_by_referrers_total",
                 "polku_own_consent_reads_total"):
        assert metric(after, name, STRANGER) == metric(before, name, STRANGER) + 1, name
    assert (STRANGER, True) in await reads(stack, client)


async def test_registering_an_erased_clients_code_is_no_oracle(stack: Stack) -> None:
    person = PEOPLE.person()
    nurse = auth(ORGS["involved"], "nurse")
    async with stack["referral"].client() as http:
        first = (await http.post("/clients", json=person, headers=nurse)).json()["client_id"]
        erased = await http.post(f"/clients/{first}/erase",
                                 headers=auth(ORGS["involved"], "data_protection_officer"))
        assert erased.status_code == 200, erased.text
        again = await http.post("/clients", json=person, headers=auth(STRANGER, "nurse"))
        never = await http.post("/clients", json=PEOPLE.person(), headers=auth(STRANGER, "nurse"))
        # A code whose client was erased answers exactly as a code never seen.
        assert again.status_code == never.status_code == 201
        assert again.json()["client_id"] != first
        gone = await http.get(f"/clients/{first}", headers=nurse)
        assert gone.status_code == 404
    assert await reads(stack, first) == [(ORGS["involved"], False)]

