"""Who may read a client's timeline and the research extract, over HTTP."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date

import asyncpg

from services.reporting.app import build_definition
from services.reporting.research import pseudonym
from services.runtime.settings import DEV_RESEARCH_KEY
from tests.e2e.reporting.support import EMPLOYMENT, KELA, NGO, SOTE, Pathways, publish, wait_logged
from tests.support.services import auth, running_service

CONSENTED, STRANGER = "pirkanmaa-sote", "vantaa-kerava-sote"


def history() -> tuple[Pathways, dict[str, str]]:
    """A: referred, assessed, transferred to Kela, coached and placed, consents to sharing
    with CONSENTED and to research. B: consents given and withdrawn. C: an expired
    data-sharing consent and no research consent."""
    p = Pathways()
    a, b, c = p.client(birth_year=1981), p.client(), p.client()
    referral = p.referral(a, "2014-01-10")
    case = p.accept(referral, a, "2014-01-20")
    p.score(a, "2014-01-21", "baseline", 4)
    p.status(a, "2014-01-21", "baseline", "unemployed")
    p.assessment(a, "2014-02-01")
    p.plan(a, case, "2014-02-15")
    p.transfer(case, a, "2014-03-01", from_org=SOTE, to_org=KELA)
    engagement = p.coaching(a, "2014-03-10")
    p.placement(a, "2014-05-01", "open_market_job", engagement=engagement)
    p.score(a, "2014-06-01", "end", 7)
    p.status(a, "2014-06-01", "end", "open_market_job")
    p.close(case, a, "2014-06-02", "employment", org=KELA)
    p.consent(a, "2014-01-10", "data_sharing", [CONSENTED])
    p.consent(a, "2014-01-10", "research")
    p.referral(b, "2014-01-10")
    p.withdraw(b, p.consent(b, "2014-01-11", "data_sharing", [CONSENTED]), "2014-02-01")
    p.withdraw(b, p.consent(b, "2014-01-11", "research"), "2014-02-01")
    p.consent(c, "2014-01-12", "data_sharing", [CONSENTED], valid_until="2015-01-01")
    return p, {"a": a, "b": b, "c": c}


async def test_timeline_and_research_extract_access(
    database_url: str, kafka_bootstrap: str
) -> None:
    p, ids = history()
    await publish(kafka_bootstrap, p.envelopes)
    async with running_service(
        build_definition(f"reporting-e2e-{uuid.uuid4().hex[:8]}"),
        database_url=database_url, kafka_bootstrap=kafka_bootstrap,
    ) as svc, svc.client() as http:
        await wait_logged(database_url, p.ids)

        async def timeline(client: str, org: str, role: str = "social_worker"):  # type: ignore[no-untyped-def]
            return await http.get(f"/clients/{client}/timeline", headers=auth(org, role))

        # involved: referring, receiving and former holder, current holder, coaching
        for org in (EMPLOYMENT, SOTE, KELA, NGO):
            seen = await timeline(ids["a"], org)
            assert seen.status_code == 200, (org, seen.text)
        events = seen.json()["events"]
        assert [e["occurred_at"] for e in events] == sorted(e["occurred_at"] for e in events)
        assert events[0]["type"] == "ClientRegistered"
        assert "birth_year" not in events[0]["data"]
        made = next(e for e in events if e["type"] == "ReferralMade")
        assert (made["source"], made["actor_organisation"], made["actor_role"]) == (
            "polku/referral", EMPLOYMENT, "employment_expert")
        assert {e["source"] for e in events} == {
            "polku/referral", "polku/assessment", "polku/coaching"}
        assert all("actor" not in e for e in events)
        assert len(events) == sum(1 for e in p.envelopes if str(e.clientid) == ids["a"])

        assert (await timeline(ids["a"], CONSENTED)).status_code == 200  # active consent
        refused = {
            "neither": await timeline(ids["a"], STRANGER),
            "withdrawn": await timeline(ids["b"], CONSENTED),
            "expired": await timeline(ids["c"], CONSENTED),
        }
        for reason, answer in refused.items():
            assert answer.status_code == 403, (reason, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
        assert "no active data-sharing consent" in refused["neither"].json()["detail"]
        assert "withdrawn" in refused["withdrawn"].json()["detail"]
        assert "expired" in refused["expired"].json()["detail"]
        assert (await timeline(str(uuid.uuid4()), SOTE)).status_code == 404
        assert (await http.get(f"/clients/{ids['a']}/timeline")).status_code == 401

        conn = await asyncpg.connect(database_url)
        try:
            reads = await conn.fetch(
                "SELECT reader_org, reader_role, client_id::text AS client, granted "
                "FROM timeline_reads ORDER BY id")
        finally:
            await conn.close()
        assert [(r["reader_org"], r["client"], r["granted"]) for r in reads] == [
            (EMPLOYMENT, ids["a"], True), (SOTE, ids["a"], True), (KELA, ids["a"], True),
            (NGO, ids["a"], True), (CONSENTED, ids["a"], True), (STRANGER, ids["a"], False),
            (CONSENTED, ids["b"], False), (CONSENTED, ids["c"], False),
        ]
        assert {r["reader_role"] for r in reads} == {"social_worker"}

        wrong_role = await http.get("/research/extract", headers=auth(SOTE, "analyst"))
        assert wrong_role.status_code == 403
        extract = await http.get("/research/extract", headers=auth("thl", "researcher"))
        assert extract.status_code == 200, extract.text
        assert extract.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(extract.text)))
        assert "client_id" not in rows[0]
        assert not any(client in extract.text for client in ids.values())
        ours = {pseudonym(DEV_RESEARCH_KEY, c): name for name, c in ids.items()}
        mine = [row for row in rows if row["research_id"] in ours]
        assert [ours[row["research_id"]] for row in mine] == ["a"]
        age = date.today().year - 1981
        low = age // 5 * 5
        assert mine[0] == {
            "research_id": pseudonym(DEV_RESEARCH_KEY, ids["a"]),
            "age_band": f"{low}-{low + 4}", "region": "kymenlaakso",
            "first_referral_on": "2014-01-10", "first_case_opened_on": "2014-01-20",
            "first_assessment_on": "2014-02-01", "first_plan_on": "2014-02-15",
            "coaching_started_on": "2014-03-10", "first_placement_on": "2014-05-01",
            "first_placement_kind": "open_market_job", "last_case_closed_on": "2014-06-02",
            "last_exit_destination": "employment", "baseline_work_ability_score": "4",
            "latest_work_ability_score": "7", "baseline_labour_market_status": "unemployed",
            "latest_labour_market_status": "open_market_job",
        }
        assert len(mine[0]["research_id"]) == 32
