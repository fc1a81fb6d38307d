"""Schemathesis over the service's own /openapi.json: no generated request is a server error,
every error is problem+json, times past the bounds included (tests/support/schemathesis_run)."""

from __future__ import annotations

from typing import Any

from tests.e2e.referral.support import ThreadedReferral
from tests.support.schemathesis_run import run_schemathesis
from tests.support.services import auth

SOTE = "kymenlaakso-sote"


def test_no_server_errors_for_generated_requests(
    svc: ThreadedReferral, ids: dict[str, str]
) -> None:
    def path_parameters(operation: Any) -> list[dict[str, str] | None]:
        # Half the runs use real ids (the organisation holds the client's case), so
        # generated bodies reach the access policy and the domain rules too.
        known = {name: ids[name] for name in ("client_id", "referral_id", "case_id",
                                              "consent_id") if f"{{{name}}}" in operation.path}
        return [None, known] if known else [None]

    # 13: the twelve commands and reads of API.md v1, and the read audit (GET /audit/reads).
    statuses = run_schemathesis(svc.base_url, auth(SOTE, "nurse"), operations=13,
                                path_parameters=path_parameters)
    # The run reached authentication, validation and the domain, not only one status.
    assert sum(statuses.values()) >= 12 * 2 * 5, statuses
    assert {200, 201, 400, 404, 422} <= statuses.keys(), statuses
