"""The authorisation matrix's rows: every route of the four services, what it needs prepared,
and who may call it — the access policy of DESIGN.md restated independently of the code, as
a rule over the caller's role and its organisation's relation to the client."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from contracts.codes import Role
from tests.e2e.referral.support import PEOPLE

# The organisation standing in each relation to the world's client (all in the registry).
ORGS = {
    "involved": "kymenlaakso-sote",  # registered the client, holds its open case
    "referring": "kymenlaakso-employment",  # made the referral the case came from
    "target": "kymenlaakso-kela",  # a waiting referral is addressed to it
    "consented": "kymenlaakso-ngo",  # named in a data-sharing consent
    "uninvolved": "kymenlaakso-mtp",
    "employer": "kymenlaakso-employer-1",
}
NON_CLIENT_ROLES = frozenset({Role.ANALYST, Role.RESEARCHER, Role.ADMIN,
                              Role.DATA_PROTECTION_OFFICER, Role.INTEGRATION})
Rule = Callable[[Role, str], bool]


def client_work(*relations: str) -> Rule:
    """Client-work roles of organisations in one of `relations` (any non-employer: none)."""
    def rule(role: Role, relation: str) -> bool:
        if role in NON_CLIENT_ROLES or relation == "employer":
            return False
        return not relations or relation in relations
    return rule


def any_role(role: Role, relation: str) -> bool:
    return relation != "employer"


def erasing(role: Role, relation: str) -> bool:
    return role in (Role.ADMIN, Role.DATA_PROTECTION_OFFICER) and relation == "involved"


def researcher(role: Role, relation: str) -> bool:
    return role is Role.RESEARCHER and relation != "employer"


def data_protection_officer(role: Role, relation: str) -> bool:
    return role is Role.DATA_PROTECTION_OFFICER and relation != "employer"


WRITES = client_work("involved", "referring", "consented")
CREATED, CHANGED, ANSWERED = frozenset({201}), frozenset({200, 409}), frozenset({200})


@dataclass(frozen=True)
class Row:
    name: str
    service: str
    method: str
    path: str  # formatted with the world's ids
    rule: Rule
    ok: frozenset[int]  # statuses of an allowed call (409: the state changed by an earlier one)
    body: Callable[[dict[str, str]], Any] | None = None
    needs: tuple[str, ...] = field(default=())  # resources prepared in the world first


def fixed(body: dict[str, Any]) -> Callable[[dict[str, str]], Any]:
    return lambda ids: body


def review_on() -> str:
    return (date.today() + timedelta(days=90)).isoformat()


WORKER = str(uuid.uuid4())
SCORES = {str(item): 3 for item in range(1, 26)}

REFERRAL_ROWS = [
    Row("register client", "referral", "POST", "/clients", client_work(), CREATED,
        lambda ids: PEOPLE.person()),
    Row("give consent", "referral", "POST", "/clients/{client}/consents",
        client_work("involved", "referring"), CREATED,
        fixed({"scope": "data_sharing", "organisation_ids": [ORGS["consented"]]})),
    Row("withdraw consent", "referral", "DELETE", "/clients/{client}/consents/{consent}",
        client_work("involved", "referring"), CHANGED),
    Row("erase", "referral", "POST", "/clients/{client}/erase", erasing, CHANGED),
    Row("read personal data", "referral", "GET", "/clients/{client}",
        client_work("involved", "consented", "target"), ANSWERED),
    Row("make referral", "referral", "POST", "/referrals", client_work(), CREATED,
        lambda ids: {"client_id": ids["client"], "target_organisation_id": ORGS["target"],
                     "target_service": "job_coaching", "reasons": ["other"]}),
    Row("accept referral", "referral", "POST", "/referrals/{referral}/accept",
        client_work("target"), CHANGED, fixed({"responsible_worker_id": WORKER})),
    Row("decline referral", "referral", "POST", "/referrals/{referral}/decline",
        client_work("target"), CHANGED, fixed({"reason": "no_capacity"})),
    Row("withdraw referral", "referral", "POST", "/referrals/{referral}/withdraw",
        client_work("involved"), CHANGED),  # the waiting referral is the holder's own
    Row("transfer case", "referral", "POST", "/cases/{case}/transfer",
        client_work("involved"), CHANGED,
        lambda ids: {"to_organisation_id": ORGS["involved"], "to_worker_id": str(uuid.uuid4())}),
    Row("close case", "referral", "POST", "/cases/{case}/close", client_work("involved"),
        CHANGED, fixed({"exit_destination": "other"})),
    Row("feedback about the client", "referral", "POST", "/feedback", WRITES, CREATED,
        lambda ids: {"client_id": ids["client"], "organisation_id": ORGS["involved"],
                     "service": "job_coaching", "score": 8}),
    Row("anonymous feedback", "referral", "POST", "/feedback", client_work(), CREATED,
        fixed({"organisation_id": ORGS["involved"], "service": "job_coaching", "score": 8})),
    Row("read audit of personal data", "referral", "GET", "/audit/reads?client_id={client}",
        data_protection_officer, ANSWERED),
]

ASSESSMENT_ROWS = [
    Row("start assessment", "assessment", "POST", "/assessments", WRITES, CREATED,
        lambda ids: {"client_id": ids["client"], "case_id": ids["case"],
                     "kind": "multiprofessional", "roles": ["doctor"]}),
    Row("complete assessment", "assessment", "POST", "/assessments/{assessment}/complete",
        WRITES, CHANGED,
        fixed({"conclusion": "able_to_work", "benefit_recommendation": "none"}),
        ("assessment",)),
    Row("cancel assessment", "assessment", "POST", "/assessments/{assessment}/cancel",
        WRITES, CHANGED, fixed({"reason": "duplicate"}), ("assessment",)),
    Row("work ability score", "assessment", "POST", "/clients/{client}/work-ability-scores",
        WRITES, CREATED, fixed({"score": 5, "phase": "interim"})),
    Row("self-assessment", "assessment", "POST", "/clients/{client}/self-assessments",
        WRITES, CREATED, fixed({"instrument": "kykyviisari", "phase": "interim",
                                "domain_scores": {"work_ability": 5}})),
    Row("labour market status", "assessment", "POST", "/clients/{client}/labour-market-status",
        WRITES, CREATED, fixed({"status": "unemployed", "phase": "interim"})),
    Row("health check", "assessment", "POST", "/health-checks", WRITES, CREATED,
        lambda ids: {"client_id": ids["client"], "further_assessment_needed": False}),
    Row("agree support plan", "assessment", "POST", "/support-plans", WRITES, CREATED,
        lambda ids: {"client_id": ids["client"], "case_id": ids["case"],
                     "planned_services": ["job_coaching"], "review_on": review_on()}),
    Row("revise support plan", "assessment", "POST", "/support-plans/{plan}/revise", WRITES,
        CHANGED, lambda ids: {"planned_services": ["job_coaching"], "review_on": review_on()},
        ("plan",)),
    Row("consultation about the client", "assessment", "POST", "/consultations", WRITES,
        CREATED, lambda ids: {"client_id": ids["client"], "topic": "benefits",
                              "consultant_organisation_id": ORGS["target"],
                              "consultant_role": "kela_expert"}),
]

COACHING_ROWS = [
    Row("start coaching", "coaching", "POST", "/engagements", WRITES, frozenset({200, 201}),
        lambda ids: {"client_id": ids["client"], "coach_id": WORKER}),
    Row("vocational profile", "coaching", "POST", "/engagements/{engagement}/vocational-profile",
        WRITES, CHANGED | CREATED, fixed({}), ("engagement",)),
    Row("employer contact", "coaching", "POST", "/engagements/{engagement}/employer-contacts",
        WRITES, CHANGED | CREATED,
        fixed({"employer_id": "kymenlaakso-employer-2", "purpose": "job_search"}),
        ("engagement",)),
    Row("end coaching", "coaching", "POST", "/engagements/{engagement}/end", WRITES, CHANGED,
        fixed({"outcome": "employment"}), ("engagement",)),
    Row("start placement", "coaching", "POST", "/placements", WRITES, CREATED,
        lambda ids: {"client_id": ids["client"], "employer_id": "kymenlaakso-employer-2",
                     "kind": "work_trial"}),
    Row("follow-along support", "coaching", "POST", "/placements/{placement}/follow-along",
        WRITES, CHANGED | CREATED, fixed({"mode": "phone"}), ("placement",)),
    Row("end placement", "coaching", "POST", "/placements/{placement}/end", WRITES, CHANGED,
        fixed({"reason": "client_ended"}), ("placement",)),
    Row("fidelity review", "coaching", "POST", "/fidelity-reviews", any_role, CREATED,
        fixed({"item_scores": SCORES})),
]

REPORTING_ROWS = [
    Row("indicator catalogue", "reporting", "GET", "/indicators", any_role, ANSWERED),
    Row("indicator", "reporting", "GET", "/indicators/referrals_made", any_role, ANSWERED),
    Row("dashboard data", "reporting", "GET", "/dashboard/data?indicator=referrals_made",
        any_role, ANSWERED),
    Row("waiting referrals", "reporting", "GET", "/referrals/waiting", any_role, ANSWERED),
    Row("overdue follow-ups", "reporting", "GET", "/follow-ups/overdue", any_role, ANSWERED),
    Row("plans due for review", "reporting", "GET", "/support-plans/due-for-review", any_role,
        ANSWERED),
    Row("cases without baseline", "reporting", "GET", "/cases/without-baseline", any_role,
        ANSWERED),
    Row("timeline", "reporting", "GET", "/clients/{client}/timeline",
        client_work("involved", "consented"), ANSWERED),
    Row("research extract", "reporting", "GET", "/research/extract", researcher, ANSWERED),
    Row("read audit of timelines", "reporting", "GET", "/audit/reads?client_id={client}",
        data_protection_officer, ANSWERED),
]

ROWS = REFERRAL_ROWS + ASSESSMENT_ROWS + COACHING_ROWS + REPORTING_ROWS
