"""Who may read a client's timeline and the research extract, over HTTP."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta

import asyncpg

from services.reporting.app import build_definition
from services.reporting.research import pseudonym
from services.runtime.settings import DEV_RESEARCH_KEY
from tests.e2e.reporting.support import EMPLOYMENT, KELA, NGO, SOTE, Pathways, publish, wait_logged
from tests.support.services import auth, running_service

CONSENTED, STRANGER = "pirkanmaa-sote", "vantaa-kerava-sote"


def history() -> tuple[Pathways, dict[str, str], dict[str, str]]:
    """A: referred, assessed, transferred to Kela, coached and placed, closed 17 days ago,
    consents to sharing with CONSENTED and to research. B: consents given and withdrawn.
    C: an expired data-sharing consent and no research consent. Dated from 100 days ago:
    the access policy judges reads on today's date."""
    base = date.today() - timedelta(days=100)

    def day(n: int) -> str:
        return (base + timedelta(days=n)).isoformat()

    p = Pathways()
    a, b, c = p.client(day(0), birth_year=1981), p.client(day(0)), p.client(day(0))
    referral = p.referral(a, day(0))
    case = p.accept(referral, a, day(10))
    p.score(a, day(11), "baseline", 4)
    p.status(a, day(11), "baseline", "unemployed")
    p.assessment(a, day(22))
    p.plan(a, case, day(36))
    p.transfer(case, a, day(50), from_org=SOTE, to_org=KELA)
    engagement = p.coaching(a, day(59))
    p.placement(a, day(81), "open_market_job", engagement=engagement)
    p.score(a, day(82), "end", 7)
    p.status(a, day(82), "end", "open_market_job")
    p.close(case, a, day(83), "employment", org=KELA)
    p.consent(a, day(0), "data_sharing", [CONSENTED])
    p.consent(a, day(0), "research")
    p.referral(b, day(0))
    p.withdraw(b, p.consent(b, day(1), "data_sharing", [CONSENTED]), day(22))
    p.withdraw(b, p.consent(b, day(1), "research"), day(22))
    p.consent(c, day(2), "data_sharing", [CONSENTED], valid_until=day(30))
    dates = {name: day(n) for name, n in (("referral", 0), ("case", 10), ("assessment", 22),
                                         ("plan", 36), ("coaching", 59), ("placement", 81),
                                         ("closed", 83))}
    return p, {"a": a, "b": b, "c": c}, dates


async def test_timeline_and_research_extract_access(
    database_url: str, kafka_bootstrap: str
) -> None:
    p, ids, dates = history()
    await publish(kafka_bootstrap, p.envelopes)
    async with running_service(
        build_definition(f"reporting-e2e-{uuid.uuid4().hex[:8]}"),
        database_url=database_url, kafka_bootstrap=kafka_bootstrap,
    ) as svc, svc.client() as http:
        await wait_logged(database_url, p.ids)

        async def timeline(client: str, org: str, role: str = "social_worker"):  # type: ignore[no-untyped-def]
            return await http.get(f"/clients/{client}/timeline", headers=auth(org, role))

        # An active data-sharing consent shows every event about the client.
        consented = await timeline(ids["a"], CONSENTED)
        assert consented.status_code == 200, consented.text
        events = consented.json()["events"]
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

        # Involved: the holder at the close (within 180 days) and the one that transferred
        # the case away (within 180 days) see what they recorded and what names the case.
        for org in (SOTE, KELA):
            seen = await timeline(ids["a"], org)
            assert seen.status_code == 200, (org, seen.text)
            shown = seen.json()["events"]
            assert 0 < len(shown) < len(events)
            assert all(e["actor_organisation"] == org or e["data"].get("case_id")
                       for e in shown)
        refused = {
            "referrer after the close": await timeline(ids["a"], EMPLOYMENT),
            "coaching without a case": await timeline(ids["a"], NGO),
            "neither": await timeline(ids["a"], STRANGER),
            "withdrawn": await timeline(ids["b"], CONSENTED),
            "expired": await timeline(ids["c"], CONSENTED),
        }
        for reason, answer in refused.items():
            assert answer.status_code == 403, (reason, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
        assert "not involved" in refused["neither"].json()["detail"]
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
            (CONSENTED, ids["a"], True), (SOTE, ids["a"], True), (KELA, ids["a"], True),
            (EMPLOYMENT, ids["a"], False), (NGO, ids["a"], False), (STRANGER, ids["a"], False),
            (CONSENTED, ids["b"], False), (CONSENTED, ids["c"], False),
        ]
        assert {r["reader_role"] for r in reads} == {"social_worker"}

        wrong_role = await http.get("/research/extract", headers=auth(SOTE, "analyst"))
        assert wrong_role.status_code == 403
        # A researcher of a registry organisation: an unknown organisation is a 403.
        extract = await http.get("/research/extract",
                                 headers=auth("pirkanmaa-sote", "researcher"))
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
        # A label column in Finnish (the default lang) follows each code column.
        assert {k: v for k, v in mine[0].items() if k.endswith("_label")} == {
            "region_label": "Kymenlaakson hyvinvointialue",
            "first_placement_kind_label": "Avoimien markkinoiden työ",
            "last_exit_destination_label": "Työ",
            "baseline_labour_market_status_label": "Työtön",
            "latest_labour_market_status_label": "Avoimien markkinoiden työssä",
        }
        assert {k: v for k, v in mine[0].items() if not k.endswith("_label")} == {
            "research_id": pseudonym(DEV_RESEARCH_KEY, ids["a"]),
            "age_band": f"{low}-{low + 4}", "region": "kymenlaakso",
            "first_referral_on": dates["referral"], "first_case_opened_on": dates["case"],
            "first_assessment_on": dates["assessment"], "first_plan_on": dates["plan"],
            "coaching_started_on": dates["coaching"], "first_placement_on": dates["placement"],
            "first_placement_kind": "open_market_job", "last_case_closed_on": dates["closed"],
            "last_exit_destination": "employment", "baseline_work_ability_score": "4",
            "latest_work_ability_score": "7", "baseline_labour_market_status": "unemployed",
            "latest_labour_market_status": "open_market_job",
        }
        assert len(mine[0]["research_id"]) == 32
