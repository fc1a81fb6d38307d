"""In-memory stand-ins for the three write services' HTTP APIs (API.md), as an httpx transport."""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx

from contracts import commands as c
from services.runtime.errors import Unauthenticated
from services.runtime.http import TokenVerifier

ID = r"[0-9a-f-]{36}"
ROUTES: list[tuple[str, str, type[c.Command], str | None]] = [
    ("8001", r"/clients", c.RegisterClient, "client_id"),
    ("8001", rf"/clients/{ID}/consents", c.GiveConsent, "consent_id"),
    ("8001", r"/referrals", c.MakeReferral, "referral_id"),
    ("8001", rf"/referrals/{ID}/accept", c.AcceptReferral, "case_id"),
    ("8001", rf"/referrals/{ID}/decline", c.DeclineReferral, None),
    ("8001", rf"/referrals/{ID}/withdraw", c.WithdrawReferral, None),
    ("8001", rf"/cases/{ID}/transfer", c.TransferResponsibility, None),
    ("8001", rf"/cases/{ID}/close", c.CloseCase, None),
    ("8001", r"/feedback", c.GiveFeedback, "feedback_id"),
    ("8002", r"/assessments", c.StartAssessment, "assessment_id"),
    ("8002", rf"/assessments/{ID}/complete", c.CompleteAssessment, None),
    ("8002", rf"/assessments/{ID}/cancel", c.CancelAssessment, None),
    ("8002", rf"/clients/{ID}/work-ability-scores", c.RecordWorkAbilityScore, "measurement_id"),
    ("8002", rf"/clients/{ID}/self-assessments", c.RecordSelfAssessment, "measurement_id"),
    ("8002", rf"/clients/{ID}/labour-market-status", c.RecordLabourMarketStatus,
     "measurement_id"),
    ("8002", r"/health-checks", c.CompleteHealthCheck, "health_check_id"),
    ("8002", r"/support-plans", c.AgreeSupportPlan, "plan_id"),
    ("8002", rf"/support-plans/{ID}/revise", c.ReviseSupportPlan, None),
    ("8002", r"/consultations", c.GiveConsultation, "consultation_id"),
    ("8003", r"/engagements", c.StartCoaching, "engagement_id"),
    ("8003", rf"/engagements/{ID}/vocational-profile", c.CompleteVocationalProfile, None),
    ("8003", rf"/engagements/{ID}/employer-contacts", c.ContactEmployer, None),
    ("8003", rf"/engagements/{ID}/end", c.EndCoaching, None),
    ("8003", r"/placements", c.StartPlacement, "placement_id"),
    ("8003", rf"/placements/{ID}/follow-along", c.GiveFollowAlongSupport, None),
    ("8003", rf"/placements/{ID}/end", c.EndPlacement, None),
    ("8003", r"/fidelity-reviews", c.RecordFidelityReview, "review_id"),
]


@dataclass
class FakeServices:
    """Checks tokens, bodies and idempotency keys; lags like an event consumer when asked."""

    secret: str
    lag_first_request: bool = True
    created: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    _replies: dict[tuple[str, str], tuple[str, httpx.Response]] = field(default_factory=dict)
    _lagged: set[str] = field(default_factory=set)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == "/healthz":
            return httpx.Response(200, json={"status": "ok"})
        self.requests += 1
        try:
            principal = TokenVerifier(hs256_secret=self.secret, rs256_public_key=None,
                                      allow_hs256=True).verify(
                request.headers.get("authorization"))
        except Unauthenticated as error:
            return httpx.Response(401, json={"status": 401, "detail": str(error)})
        key = request.headers.get("idempotency-key")
        if not key:
            return httpx.Response(400, json={"detail": "demo requests carry Idempotency-Key"})
        port = str(request.url.port)
        # The assessment and coaching services learn involvement from events, a moment later.
        if self.lag_first_request and port != "8001" and principal.org not in self._lagged:
            self._lagged.add(principal.org)
            return httpx.Response(403, json={"status": 403, "detail": "not involved (yet)"})
        body = request.content.decode()
        replay = self._replies.get((principal.org, key))
        if replay is not None:
            same = replay[0] == f"{request.url.path} {body}"
            return replay[1] if same else httpx.Response(422, json={"detail": "key reused"})
        response = self._dispatch(port, request.url.path, json.loads(body))
        if response.status_code < 400:
            self._replies[(principal.org, key)] = (f"{request.url.path} {body}", response)
        return response

    def _dispatch(self, port: str, path: str, payload: dict[str, object]) -> httpx.Response:
        for route_port, pattern, command, id_field in ROUTES:
            if route_port == port and re.fullmatch(pattern, path):
                try:
                    command.model_validate(payload)
                except ValueError as error:
                    return httpx.Response(422, json={"detail": str(error)[:200]})
                self.created[command.__name__] += 1
                if id_field is None:
                    return httpx.Response(200, json={"version": 2})
                return httpx.Response(201, json={id_field: str(uuid.uuid4())})
        return httpx.Response(404, json={"detail": f"no route {port} {path}"})
