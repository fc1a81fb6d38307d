"""The referral service end to end: HTTP commands → PostgreSQL → relay → polku.referral.v1."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from contracts.envelope import Envelope
from contracts.registry import parse_data
from services.referral.personal_data import load as load_sealed
from tests.e2e.referral.support import (
    PEOPLE,
    envelopes_of,
    row_counts,
    topic_records,
    wait_until_published,
)
from tests.support.services import RunningService, auth

EMPLOYMENT, SOTE, NGO, KELA = ("kymenlaakso-employment", "kymenlaakso-sote", "kymenlaakso-ngo",
                               "kymenlaakso-kela")
WORKER, NEXT_WORKER = str(uuid.uuid4()), str(uuid.uuid4())


async def register(http: httpx.AsyncClient, org: str = EMPLOYMENT) -> tuple[str, dict[str, str]]:
    person = PEOPLE.person()
    response = await http.post("/clients", json=person, headers=auth(org, "employment_expert"))
    assert response.status_code == 201, response.text
    client_id = response.json()["client_id"]
    assert response.headers["Location"] == f"/clients/{client_id}"
    return client_id, person


async def refer(http: httpx.AsyncClient, client_id: str, target: str = SOTE) -> str:
    response = await http.post("/referrals", headers=auth(EMPLOYMENT, "employment_expert"), json={
        "client_id": client_id, "target_organisation_id": target,
        "target_service": "work_ability_assessment",
        "reasons": ["long_term_unemployment", "mental_health"], "triage": "red",
        "unemployment_months": 18})
    assert response.status_code == 201, response.text
    return str(response.json()["referral_id"])


async def test_full_pathway_publishes_exactly_the_specified_events(
    referral: RunningService, kafka_bootstrap: str
) -> None:
    async with referral.client() as http:
        client_id, _ = await register(http)
        referral_id = await refer(http, client_id)
        # The client consents where they are referred (v2: only a referrer or an involved
        # organisation records a consent).
        consent = await http.post(
            f"/clients/{client_id}/consents", headers=auth(EMPLOYMENT, "employment_expert"),
            json={"scope": "data_sharing", "organisation_ids": [KELA],
                  "valid_until": str(date.today() + timedelta(days=365))})
        assert consent.status_code == 201, consent.text
        accepted = await http.post(f"/referrals/{referral_id}/accept",
                                   headers=auth(SOTE, "team_lead", WORKER),
                                   json={"responsible_worker_id": WORKER})
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["stream_version"] == 2
        case_id = accepted.json()["case_id"]
        transferred = await http.post(
            f"/cases/{case_id}/transfer", headers=auth(SOTE, "team_lead"),
            json={"to_organisation_id": NGO, "to_worker_id": NEXT_WORKER})
        assert transferred.status_code == 200, transferred.text
        assert transferred.json() == {"case_id": case_id, "stream_version": 2,
                                      "consistency": transferred.headers["Polku-Consistency"]}
        closed = await http.post(f"/cases/{case_id}/close", headers=auth(NGO, "job_coach"),
                                 json={"exit_destination": "employment",
                                       "occurred_at": "2025-01-31T12:00:00+02:00"})
        assert closed.status_code == 200, closed.text
        # Given at the close: the holder's involvement ends 180 days after it (v2).
        feedback = await http.post("/feedback", headers=auth(NGO, "job_coach"), json={
            "client_id": client_id, "organisation_id": NGO, "service": "job_coaching",
            "score": 9, "felt_heard": True, "helped": True,
            "occurred_at": "2025-01-31T12:00:00+02:00"})
        assert feedback.status_code == 201, feedback.text
        correlation = accepted.headers["X-Correlation-Id"]

    await wait_until_published(referral)
    envelopes = envelopes_of(await topic_records(kafka_bootstrap), client_id)
    assert [e["type"] for e in envelopes] == [
        "ClientRegistered", "ReferralMade", "ConsentGiven", "ReferralAccepted", "CaseOpened",
        "ResponsibilityTransferred", "CaseClosed", "ClientFeedbackGiven"]
    for envelope in envelopes:
        parsed = Envelope.model_validate(envelope)  # the CloudEvents envelope, validated
        assert parsed.specversion == "1.0" and parsed.source == "polku/referral"
        assert parsed.datacontenttype == "application/json" and parsed.dataversion == 1
        parse_data(parsed)  # the data is the published language's event body
    by_type = {e["type"]: e for e in envelopes}
    assert by_type["ClientRegistered"]["subject"] == f"client:{client_id}"
    assert set(by_type["ClientRegistered"]["data"]) == {
        "client_id", "birth_year", "sex", "home_region", "occurred_at"}
    assert by_type["ReferralMade"]["data"]["referring_organisation_id"] == EMPLOYMENT
    assert by_type["ReferralMade"]["data"]["referring_org_kind"] == "employment_services"
    opened = by_type["CaseOpened"]
    assert opened["correlationid"] == correlation == by_type["ReferralAccepted"]["correlationid"]
    assert opened["data"] == {
        "case_id": case_id, "client_id": client_id, "organisation_id": SOTE,
        "service": "work_ability_assessment", "referral_id": referral_id,
        "responsible_worker_id": WORKER, "occurred_at": opened["data"]["occurred_at"]}
    assert opened["actororg"] == SOTE and opened["actor"] == WORKER
    assert by_type["ResponsibilityTransferred"]["data"]["from_worker_id"] == WORKER
    assert by_type["CaseClosed"]["data"]["occurred_at"] == "2025-01-31T10:00:00Z"
    assert by_type["CaseClosed"]["streamversion"] == 3


async def test_same_identity_code_gives_the_same_client_once(
    referral: RunningService, kafka_bootstrap: str
) -> None:
    async with referral.client() as http:
        client_id, person = await register(http)
        # Another organisation, lower-case input, other spelling of names: the same person.
        again = await http.post("/clients", headers=auth(SOTE, "nurse"), json={
            **person, "identity_code": person["identity_code"].lower()})
        assert again.status_code == 200, again.text
        assert again.json() == {"client_id": client_id}
        concurrent = await asyncio.gather(*(
            http.post("/clients", json=person, headers=auth(SOTE, "nurse")) for _ in range(4)))
        assert {r.status_code for r in concurrent} == {200}
    await wait_until_published(referral)
    envelopes = envelopes_of(await topic_records(kafka_bootstrap), client_id)
    assert [e["type"] for e in envelopes] == ["ClientRegistered"]


async def test_idempotent_replay_answers_the_first_response_and_appends_nothing(
    referral: RunningService,
) -> None:
    async with referral.client() as http:
        client_id, _ = await register(http)
        headers = {**auth(EMPLOYMENT, "employment_expert"), "Idempotency-Key": "refer-1"}
        body = {"client_id": client_id, "target_organisation_id": SOTE,
                "target_service": "health_check", "reasons": ["physical_health"]}
        first = await http.post("/referrals", json=body, headers=headers)
        assert first.status_code == 201, first.text
        before = await row_counts(referral.ctx.pool)
        again = await http.post("/referrals", json=body, headers=headers)
        assert (again.status_code, again.json()) == (201, first.json())
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert await row_counts(referral.ctx.pool) == before
        changed = await http.post("/referrals", json={**body, "triage": "green"},
                                  headers=headers)
        assert changed.status_code == 422
        assert await row_counts(referral.ctx.pool) == before
        # A state change replays its 200 with the stream version of the first answer.
        accept = {**auth(SOTE, "nurse"), "Idempotency-Key": "accept-1"}
        referral_id = first.json()["referral_id"]
        worker = {"responsible_worker_id": WORKER}
        one = await http.post(f"/referrals/{referral_id}/accept", json=worker, headers=accept)
        two = await http.post(f"/referrals/{referral_id}/accept", json=worker, headers=accept)
        assert one.status_code == two.status_code == 200 and one.json() == two.json()
        without_key = await http.post(f"/referrals/{referral_id}/accept", json=worker,
                                      headers=auth(SOTE, "nurse"))
        assert without_key.status_code == 409


async def test_personal_data_only_for_involved_or_consented_and_every_read_recorded(
    referral: RunningService,
) -> None:
    async with referral.client() as http:
        client_id, person = await register(http, org=NGO)
        # Registering involves no other organisation: a referral or case does.
        refused = await http.get(f"/clients/{client_id}", headers=auth(EMPLOYMENT, "nurse"))
        assert refused.status_code == 403
        assert "not involved" in refused.json()["detail"]
        referral_id = await refer(http, client_id)
        # The target of a waiting referral identifies the client before accepting.
        read = await http.get(f"/clients/{client_id}", headers=auth(SOTE, "nurse"),
                              params={"purpose": "referral_handling"})
        assert read.status_code == 200, read.text
        assert read.headers["Cache-Control"] == "no-store"
        assert read.json() == {
            "client_id": client_id, "erased": False,
            "identity_code": person["identity_code"], "first_name": person["first_name"],
            "last_name": person["last_name"], "birth_year": read.json()["birth_year"],
            "sex": read.json()["sex"], "home_region": "kymenlaakso"}
        # The referrer records and withdraws; reading personal data is not a referrer's right.
        assert (await http.get(f"/clients/{client_id}", headers=auth(EMPLOYMENT, "nurse"))
                ).status_code == 403
        assert (await http.get(f"/clients/{client_id}", headers=auth(KELA, "kela_expert"))
                ).status_code == 403
        consent = await http.post(f"/clients/{client_id}/consents",
                                  headers=auth(EMPLOYMENT, "nurse"),
                                  json={"scope": "data_sharing", "organisation_ids": [KELA]})
        assert consent.status_code == 201, consent.text
        consent_id = consent.json()["consent_id"]
        assert (await http.get(f"/clients/{client_id}", headers=auth(KELA, "kela_expert"))
                ).status_code == 200
        withdrawn = await http.delete(f"/clients/{client_id}/consents/{consent_id}",
                                      headers=auth(EMPLOYMENT, "nurse"))
        assert withdrawn.status_code == 200 and withdrawn.json()["stream_version"] == 3
        assert (await http.delete(f"/clients/{client_id}/consents/{consent_id}",
                                  headers=auth(EMPLOYMENT, "nurse"))).status_code == 409
        assert (await http.get(f"/clients/{client_id}", headers=auth(KELA, "kela_expert"))
                ).status_code == 403
        assert (await http.get(f"/clients/{uuid.uuid4()}", headers=auth(SOTE, "nurse"))
                ).status_code == 404
        assert (await http.get(f"/clients/{client_id}", params={"purpose": "curiosity"},
                               headers=auth(SOTE, "nurse"))).status_code == 422
        assert referral_id
    reads = await referral.ctx.pool.fetch(
        "SELECT reader_org, purpose, granted, basis FROM personal_data_reads "
        "WHERE client_id = $1 ORDER BY read_id", uuid.UUID(client_id))
    assert [(r["reader_org"], r["granted"]) for r in reads] == [
        (EMPLOYMENT, False), (SOTE, True), (EMPLOYMENT, False), (KELA, False), (KELA, True),
        (KELA, False)]
    assert reads[1]["purpose"] == "referral_handling" and reads[1]["basis"] == "target"
    assert reads[4]["basis"] == "consent"


async def test_erasure_shreds_the_key_for_good_and_unlinks_the_identity_code(
    referral: RunningService,
) -> None:
    async with referral.client() as http:
        client_id, person = await register(http)
        await refer(http, client_id)
        url = f"/clients/{client_id}/erase"
        assert (await http.post(url, headers=auth(EMPLOYMENT, "team_lead"))).status_code == 403
        assert (await http.post(url, headers=auth(SOTE, "admin"))).status_code == 403
        erased = await http.post(url, headers=auth(EMPLOYMENT, "admin"))
        assert erased.status_code == 200, erased.text
        assert erased.json() == {"client_id": client_id, "erased": True, "stream_version": 2,
                                 "consistency": erased.headers["Polku-Consistency"]}
        assert (await http.post(url, headers=auth(EMPLOYMENT, "admin"))).status_code == 409
        # An erased client is a 404 to every caller, and the read is recorded.
        for org in (EMPLOYMENT, SOTE):
            read = await http.get(f"/clients/{client_id}", headers=auth(org, "nurse"))
            assert read.status_code == 404, read.text
        # The code no longer leads to the old client: a new, unrelated client (no oracle).
        again = await http.post("/clients", json=person, headers=auth(SOTE, "nurse"))
        assert again.status_code == 201, again.text
        assert again.json()["client_id"] != client_id
        same = await http.post("/clients", json=person, headers=auth(KELA, "kela_expert"))
        assert (same.status_code, same.json()["client_id"]) == (200, again.json()["client_id"])
    recorded = await referral.ctx.pool.fetch(
        "SELECT reader_org, granted FROM personal_data_reads WHERE client_id = $1 "
        "ORDER BY read_id", uuid.UUID(client_id))
    assert [(r["reader_org"], r["granted"]) for r in recorded] == [
        (EMPLOYMENT, False), (SOTE, False)]

    sealed = await load_sealed(referral.ctx.pool, uuid.UUID(client_id))
    assert sealed is not None and sealed.wrapped_key is None and sealed.key_nonce is None
    assert person["last_name"].encode() not in sealed.ciphertext
    keys = await keys_the_service_has(referral)
    assert len(keys) >= 2
    for key in keys:
        for aad in (uuid.UUID(client_id).bytes, None):
            with pytest.raises(InvalidTag):
                AESGCM(key).decrypt(sealed.nonce, sealed.ciphertext, aad)
    events = await referral.ctx.store.read_stream(f"client:{client_id}")
    assert [e.event_type for e in events] == ["ClientRegistered", "PersonalDataErased"]


async def keys_the_service_has(svc: RunningService) -> list[bytes]:
    """The master key, the client-id key, every AES-sized byte string in the personal_data
    table, and every data key the master key still unwraps there."""
    settings = svc.settings
    master = base64.b64decode(settings.polku_personal_data_master_key)
    keys = [master, hashlib.sha256(settings.polku_client_id_key.encode()).digest()]
    for row in await svc.ctx.pool.fetch("SELECT * FROM personal_data"):
        keys.extend(v for v in row.values() if isinstance(v, bytes) and len(v) in (16, 24, 32))
        if row["wrapped_key"] is not None:
            keys.append(AESGCM(master).decrypt(row["key_nonce"], row["wrapped_key"],
                                               row["client_id"].bytes))
    return keys


async def test_occurred_at_defaults_to_now_and_may_not_be_in_the_future(
    referral: RunningService,
) -> None:
    async with referral.client() as http:
        client_id, _ = await register(http)
        future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        bad = await http.post(f"/clients/{client_id}/consents", headers=auth(SOTE, "nurse"),
                              json={"scope": "research", "occurred_at": future})
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "occurred_at"
