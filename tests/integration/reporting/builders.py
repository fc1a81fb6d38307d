"""Concise hand-built event histories for reporting tests (CloudEvents envelopes as dicts,
parsed into the contracts' Envelope by `envelopes()` for projecting)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from contracts.envelope import Envelope

HELSINKI = ZoneInfo("Europe/Helsinki")
_SOURCES = {
    "referral": ("ClientRegistered", "ReferralMade", "ReferralAccepted", "ReferralDeclined",
                 "ReferralWithdrawn", "CaseOpened", "ResponsibilityTransferred", "CaseClosed",
                 "ClientFeedbackGiven"),
    "coaching": ("CoachingStarted", "EmployerContacted", "PlacementStarted", "PlacementEnded",
                 "CoachingEnded", "FidelityReviewRecorded"),
}


# When set (`seeded_ids`), ids come from this generator: a seeded history is then the same
# history every run, ids included (and so the noise of its perturbed cells).
_ids: random.Random | None = None


def new_id() -> str:
    if _ids is None:
        return str(uuid.uuid4())
    return str(uuid.UUID(int=_ids.getrandbits(128), version=4))


@contextmanager
def seeded_ids(seed: int) -> Iterator[None]:
    """Ids from a generator seeded with `seed` while the block builds a history."""
    global _ids
    previous, _ids = _ids, random.Random(seed)
    try:
        yield
    finally:
        _ids = previous


def at(day: str, hour: int = 12) -> datetime:
    """Noon (by default) Finnish time on `day` (YYYY-MM-DD)."""
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), HELSINKI).replace(
        hour=hour
    )



def scores_summing(total: int) -> dict[str, int]:
    """The 25 IPS fidelity item scores (1–5 each, as the contract says) adding up to
    `total` (25–125)."""
    extra, scores = total - 25, {}
    for item in range(1, 26):
        step = min(4, extra)
        scores[str(item)] = 1 + step
        extra -= step
    return scores


def worker_id(label: str | None) -> str:
    """A professional's id (a UUID, as the contracts say) named by a short test label: the
    same label, the same id; none: a new one."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"worker:{label}")) if label else new_id()

class History:
    """Appends events in call order; each is recorded one second after the previous one
    unless `recorded=` (a datetime or YYYY-MM-DD) says otherwise."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self._clock = datetime(2020, 1, 1, tzinfo=UTC)

    def emit(self, type_: str, stream: str, data: dict[str, Any], on: str | datetime,
             recorded: str | datetime | None = None) -> dict[str, Any]:
        occurred = at(on) if isinstance(on, str) else on
        if recorded is None:
            self._clock = max(self._clock + timedelta(seconds=1), occurred)
            recorded_at = self._clock
        else:
            recorded_at = at(recorded) if isinstance(recorded, str) else recorded
        source = next((s for s, types in _SOURCES.items() if type_ in types), "assessment")
        envelope = {
            "specversion": "1.0", "id": new_id(), "source": f"polku/{source}", "type": type_,
            "subject": f"{stream}:{new_id()}", "time": recorded_at.astimezone(UTC).isoformat(),
            "datacontenttype": "application/json", "dataversion": 1, "streamversion": 1,
            "correlationid": new_id(), "actororg": "kymenlaakso-sote", "actorrole": "nurse",
            "actor": new_id(), "data": {**data, "occurred_at": occurred.isoformat()},
        }
        if data.get("client_id"):
            envelope["clientid"] = data["client_id"]
        self.events.append(envelope)
        return envelope

    def envelopes(self) -> list[Envelope]:
        """The events (as `events` holds them now: tests may reorder or repeat them)."""
        return [Envelope.model_validate(e) for e in self.events]

    # referral service ---------------------------------------------------------------
    def client(self, region: str | None = "kymenlaakso", on: str = "2023-01-02",
               recorded: str | datetime | None = None) -> str:
        client_id = new_id()
        self.emit("ClientRegistered", "client", {
            "client_id": client_id, "birth_year": 1980, "sex": "female", "home_region": region,
        }, on, recorded)
        return client_id

    def referral(self, client: str, on: str, *, service: str = "work_ability_assessment",
                 kind: str = "employment_services", reasons: list[str] | None = None,
                 triage: str | None = None, months: int | None = None,
                 target: str = "kymenlaakso-sote", recorded: str | datetime | None = None) -> str:
        referral_id = new_id()
        self.emit("ReferralMade", "referral", {
            "referral_id": referral_id, "client_id": client,
            "referring_organisation_id":
                None if kind == "client_self" else "kymenlaakso-employment",
            "referring_org_kind": kind, "target_organisation_id": target,
            "target_service": service, "reasons": reasons or ["long_term_unemployment"],
            "triage": triage, "unemployment_months": months,
        }, on, recorded)
        return referral_id

    def decide(self, referral: str, client: str, on: str, decision: str = "accepted",
               recorded: str | datetime | None = None) -> None:
        type_ = {"accepted": "ReferralAccepted", "declined": "ReferralDeclined",
                 "withdrawn": "ReferralWithdrawn"}[decision]
        data: dict[str, Any] = {"referral_id": referral, "client_id": client}
        if decision == "accepted":
            data["case_id"] = new_id()
        if decision == "declined":
            data |= {"reason": "no_capacity", "redirected_service": None}
        self.emit(type_, "referral", data, on, recorded)

    def open_case(self, client: str, on: str, *, org: str = "kymenlaakso-sote",
                  service: str = "work_ability_assessment", referral: str | None = None,
                  worker: str | None = None, recorded: str | datetime | None = None) -> str:
        case_id = new_id()
        self.emit("CaseOpened", "case", {
            "case_id": case_id, "client_id": client, "organisation_id": org, "service": service,
            "referral_id": referral, "responsible_worker_id": worker_id(worker),
        }, on, recorded)
        return case_id

    def transfer(self, case: str, client: str, on: str, *, to_org: str, to_worker: str,
                 from_org: str = "kymenlaakso-sote",
                 recorded: str | datetime | None = None) -> None:
        self.emit("ResponsibilityTransferred", "case", {
            "case_id": case, "client_id": client, "from_organisation_id": from_org,
            "from_worker_id": new_id(), "to_organisation_id": to_org,
            "to_worker_id": worker_id(to_worker),
        }, on, recorded)

    def close_case(self, case: str, client: str, on: str, exit_: str = "employment",
                   recorded: str | datetime | None = None) -> None:
        self.emit("CaseClosed", "case", {
            "case_id": case, "client_id": client, "exit_destination": exit_,
        }, on, recorded)

    def feedback(self, on: str, score: int, *, client: str | None = None,
                 org: str = "kymenlaakso-sote", service: str = "work_ability_assessment",
                 helped: bool | None = None, heard: bool | None = None) -> None:
        self.emit("ClientFeedbackGiven", "feedback", {
            "feedback_id": new_id(), "client_id": client, "organisation_id": org,
            "service": service, "score": score, "felt_heard": heard, "helped": helped,
        }, on)

    # assessment service -------------------------------------------------------------
    def assessment(self, client: str, on: str, *, kind: str = "multiprofessional",
                   org: str = "kymenlaakso-sote", recorded: str | datetime | None = None) -> str:
        assessment_id = new_id()
        self.emit("AssessmentStarted", "assessment", {
            "assessment_id": assessment_id, "client_id": client, "case_id": None,
            "organisation_id": org, "kind": kind, "roles": ["doctor"],
        }, on, recorded)
        return assessment_id

    def complete(self, assessment: str, client: str, on: str, *,
                 conclusion: str = "partially_able", benefit: str = "none") -> None:
        self.emit("AssessmentCompleted", "assessment", {
            "assessment_id": assessment, "client_id": client, "conclusion": conclusion,
            "recommended_services": [], "benefit_recommendation": benefit,
        }, on)

    def cancel(self, assessment: str, client: str, on: str) -> None:
        self.emit("AssessmentCancelled", "assessment", {
            "assessment_id": assessment, "client_id": client, "reason": "duplicate",
        }, on)

    def score(self, client: str, on: str, phase: str, score: int,
              recorded: str | datetime | None = None) -> None:
        self.emit("WorkAbilityScoreRecorded", "measurement", {
            "measurement_id": new_id(), "client_id": client, "score": score, "phase": phase,
        }, on, recorded)

    def self_assessment(self, client: str, on: str, phase: str, overall: float | None) -> None:
        self.emit("SelfAssessmentRecorded", "measurement", {
            "measurement_id": new_id(), "client_id": client, "instrument": "kykyviisari",
            "phase": phase, "domain_scores": {}, "overall": overall,
        }, on)

    def status(self, client: str, on: str, phase: str, status: str) -> None:
        self.emit("LabourMarketStatusRecorded", "measurement", {
            "measurement_id": new_id(), "client_id": client, "phase": phase, "status": status,
        }, on)

    def health_check(self, client: str, on: str, org: str = "kymenlaakso-sote") -> None:
        self.emit("HealthCheckCompleted", "healthcheck", {
            "health_check_id": new_id(), "client_id": client, "organisation_id": org,
            "further_assessment_needed": False,
        }, on)

    def plan(self, client: str, case: str, on: str, review_on: str) -> str:
        plan_id = new_id()
        self.emit("SupportPlanAgreed", "plan", {
            "plan_id": plan_id, "client_id": client, "case_id": case,
            "planned_services": ["job_coaching"], "review_on": review_on,
        }, on)
        return plan_id

    def revise(self, plan: str, client: str, on: str, review_on: str) -> None:
        self.emit("SupportPlanRevised", "plan", {
            "plan_id": plan, "client_id": client, "planned_services": ["job_coaching"],
            "review_on": review_on,
        }, on)

    def consultation(self, on: str, *, org: str = "kymenlaakso-employment",
                     kind: str = "employment_services", role: str = "doctor",
                     topic: str = "benefits", client: str | None = None) -> None:
        self.emit("ConsultationGiven", "consultation", {
            "consultation_id": new_id(), "client_id": client, "requesting_organisation_id": org,
            "requesting_org_kind": kind, "requester_role": "employment_expert",
            "consultant_organisation_id": "kymenlaakso-sote", "consultant_role": role,
            "topic": topic,
        }, on)

    # coaching service ---------------------------------------------------------------
    def coaching(self, client: str, on: str, org: str = "kymenlaakso-ngo") -> str:
        engagement_id = new_id()
        self.emit("CoachingStarted", "engagement", {
            "engagement_id": engagement_id, "client_id": client, "organisation_id": org,
            "coach_id": new_id(), "case_id": None,
        }, on)
        return engagement_id

    def employer_contact(self, engagement: str, client: str, on: str) -> None:
        self.emit("EmployerContacted", "engagement", {
            "engagement_id": engagement, "client_id": client,
            "employer_id": "kymenlaakso-employer-1", "purpose": "job_search",
        }, on)

    def end_coaching(self, engagement: str, client: str, on: str) -> None:
        self.emit("CoachingEnded", "engagement", {
            "engagement_id": engagement, "client_id": client, "outcome": "employment",
        }, on)

    def placement(self, client: str, on: str, kind: str = "open_market_job", *,
                  subsidy: bool = False, engagement: str | None = None) -> str:
        placement_id = new_id()
        self.emit("PlacementStarted", "placement", {
            "placement_id": placement_id, "engagement_id": engagement, "client_id": client,
            "employer_id": "kymenlaakso-employer-1", "kind": kind, "hours_per_week": None,
            "wage_subsidy": subsidy,
        }, on)
        return placement_id

    def end_placement(self, placement: str, client: str, on: str,
                      reason: str = "employer_ended") -> None:
        self.emit("PlacementEnded", "placement", {
            "placement_id": placement, "client_id": client, "reason": reason,
        }, on)

    def fidelity(self, on: str, total: int, org: str = "kymenlaakso-ngo") -> None:
        self.emit("FidelityReviewRecorded", "fidelity", {
            "review_id": new_id(), "organisation_id": org, "item_scores": scores_summing(total),
            "total": total,
        }, on)
