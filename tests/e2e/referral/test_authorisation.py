"""Tokens on every referral command: no token, expired, tampered, badly signed — 401 and
nothing written — and the right organisation succeeds. Who else may (every role × every
relation) is tests/e2e/access/test_authorisation_matrix.py."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from tests.e2e.referral.support import PEOPLE, row_counts
from tests.support.services import RunningService, auth, token

EMPLOYMENT, SOTE, NGO, KELA = ("kymenlaakso-employment", "kymenlaakso-sote", "kymenlaakso-ngo",
                               "kymenlaakso-kela")


def tampered(org: str, role: str) -> dict[str, str]:
    """A valid token whose payload was changed to another organisation, signature kept."""
    header, payload, signature = token(org, role).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["org"] = NGO if org != NGO else SOTE
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return {"Authorization": f"Bearer {header}.{forged}.{signature}"}


def expired(org: str, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(org, role, ttl=-30)}"}


@dataclass
class Row:
    """One command: how to prepare its target, who is right and who is wrong."""

    name: str
    method: str
    prepare: Callable[[httpx.AsyncClient], Awaitable[tuple[str, Any]]]  # -> (url, body)
    right: tuple[str, str]
    wrong: tuple[str, str] | None  # None: any authenticated organisation may
    success: int


async def new_client(http: httpx.AsyncClient) -> str:
    response = await http.post("/clients", json=PEOPLE.person(),
                                headers=auth(EMPLOYMENT, "employment_expert"))
    return str(response.json()["client_id"])


async def new_referral(http: httpx.AsyncClient) -> str:
    response = await http.post("/referrals", headers=auth(EMPLOYMENT, "employment_expert"),
                               json={"client_id": await new_client(http),
                                     "target_organisation_id": SOTE,
                                     "target_service": "job_coaching", "reasons": ["other"]})
    return str(response.json()["referral_id"])


async def new_case(http: httpx.AsyncClient) -> str:
    referral_id = await new_referral(http)
    response = await http.post(f"/referrals/{referral_id}/accept", headers=auth(SOTE, "nurse"),
                               json={"responsible_worker_id": str(uuid.uuid4())})
    return str(response.json()["case_id"])


async def referred_client(http: httpx.AsyncClient) -> str:
    """A client EMPLOYMENT referred: as the referrer it records the client's consents."""
    client_id = await new_client(http)
    await http.post("/referrals", headers=auth(EMPLOYMENT, "employment_expert"), json={
        "client_id": client_id, "target_organisation_id": SOTE,
        "target_service": "job_coaching", "reasons": ["other"]})
    return client_id


async def new_consent(http: httpx.AsyncClient) -> tuple[str, Any]:
    client_id = await referred_client(http)
    response = await http.post(f"/clients/{client_id}/consents", json={"scope": "research"},
                               headers=auth(EMPLOYMENT, "employment_expert"))
    return f"/clients/{client_id}/consents/{response.json()['consent_id']}", None


WORKER = str(uuid.uuid4())
ROWS = [
    Row("register client", "POST", lambda http: _const("/clients", PEOPLE.person()),
        (EMPLOYMENT, "employment_expert"), None, 201),
    Row("give consent", "POST", lambda http: _consent_target(http),
        (EMPLOYMENT, "employment_expert"), None, 201),
    Row("withdraw consent", "DELETE", new_consent, (EMPLOYMENT, "employment_expert"), None, 200),
    Row("erase", "POST", lambda http: _erase_target(http), (EMPLOYMENT, "admin"),
        (EMPLOYMENT, "team_lead"), 200),
    Row("read client", "GET", lambda http: _read_target(http), (SOTE, "nurse"),
        (KELA, "kela_expert"), 200),
    Row("make referral", "POST", lambda http: _referral_body(http),
        (EMPLOYMENT, "employment_expert"), None, 201),
    Row("accept referral", "POST", lambda http: _on_referral(http, "accept",
        {"responsible_worker_id": WORKER}), (SOTE, "nurse"), (EMPLOYMENT, "nurse"), 200),
    Row("decline referral", "POST", lambda http: _on_referral(http, "decline",
        {"reason": "no_capacity"}), (SOTE, "nurse"), (KELA, "nurse"), 200),
    Row("withdraw referral", "POST", lambda http: _on_referral(http, "withdraw", None),
        (EMPLOYMENT, "employment_expert"), (SOTE, "nurse"), 200),
    Row("transfer case", "POST", lambda http: _on_case(http, "transfer",
        {"to_organisation_id": NGO, "to_worker_id": WORKER}), (SOTE, "nurse"),
        (NGO, "job_coach"), 200),
    Row("close case", "POST", lambda http: _on_case(http, "close",
        {"exit_destination": "education"}), (SOTE, "nurse"), (EMPLOYMENT, "nurse"), 200),
    Row("give feedback", "POST", lambda http: _const("/feedback", {
        "organisation_id": NGO, "service": "job_coaching", "score": 7}), (NGO, "job_coach"),
        None, 201),
]


async def _const(url: str, body: Any) -> tuple[str, Any]:
    return url, body


async def _consent_target(http: httpx.AsyncClient) -> tuple[str, Any]:
    return f"/clients/{await referred_client(http)}/consents", {
        "scope": "data_sharing", "organisation_ids": [KELA]}


async def _erase_target(http: httpx.AsyncClient) -> tuple[str, Any]:
    return f"/clients/{await new_client(http)}/erase", None


async def _read_target(http: httpx.AsyncClient) -> tuple[str, Any]:
    client_id = await new_client(http)
    await http.post("/referrals", headers=auth(EMPLOYMENT, "employment_expert"), json={
        "client_id": client_id, "target_organisation_id": SOTE, "target_service": "education",
        "reasons": ["other"]})
    return f"/clients/{client_id}", None


async def _referral_body(http: httpx.AsyncClient) -> tuple[str, Any]:
    return "/referrals", {"client_id": await new_client(http), "target_organisation_id": SOTE,
                          "target_service": "health_check", "reasons": ["physical_health"]}


async def _on_referral(http: httpx.AsyncClient, action: str, body: Any) -> tuple[str, Any]:
    return f"/referrals/{await new_referral(http)}/{action}", body


async def _on_case(http: httpx.AsyncClient, action: str, body: Any) -> tuple[str, Any]:
    return f"/cases/{await new_case(http)}/{action}", body


async def test_every_command_refuses_bad_tokens_and_takes_the_right_one(
    referral: RunningService,
) -> None:
    outcomes: list[tuple[str, str, int, int]] = []
    async with referral.client() as http:
        for row in ROWS:
            url, body = await row.prepare(http)
            org, role = row.right
            attempts: list[tuple[str, dict[str, str], int]] = [
                ("no token", {}, 401),
                ("expired token", expired(org, role), 401),
                ("tampered token", tampered(org, role), 401),
                ("bad signature", {"Authorization": "Bearer " + token(org, role)[:-4] + "AAAA"},
                 401),
            ]
            for label, headers, expected in attempts:
                before = await row_counts(referral.ctx.pool)
                response = await http.request(row.method, url, json=body, headers=headers)
                outcomes.append((row.name, label, expected, response.status_code))
                if response.status_code >= 400:
                    assert response.headers["content-type"] == "application/problem+json"
                assert await row_counts(referral.ctx.pool) == before, (row.name, label)
            response = await http.request(row.method, url, json=body, headers=auth(org, role))
            outcomes.append((row.name, "right organisation", row.success, response.status_code))
    wrong = [o for o in outcomes if o[2] != o[3]]
    assert not wrong, "\n".join(f"{n} / {label}: expected {e}, got {g}"
                                for n, label, e, g in wrong)
    assert len(outcomes) == 12 * 5
