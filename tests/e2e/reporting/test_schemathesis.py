"""Schemathesis over the reporting service's own /openapi.json: no generated query is a
server error, every error is problem+json, dates and times past the bounds included
(tests/support/schemathesis_run), and every answer conforms to the typed document: its
status, its media type and, for JSON, its schema (services/reporting/schemas.py)."""

from __future__ import annotations

from typing import Any

import pytest
from schemathesis.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.reporting.bad_input_setup import ANALYST, Served
from tests.support.schemathesis_run import run_schemathesis

pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")


def test_schemathesis_finds_no_server_error(served: Served) -> None:
    def path_parameters(operation: Any) -> list[dict[str, str] | None]:
        # Real ids too: a known indicator, and the client whose timeline exists.
        if "{indicator_id}" in operation.path:
            return [None, {"indicator_id": "referrals_made"}]
        if "{client_id}" in operation.path:
            return [None, {"client_id": served.client_id}]
        return [None]

    # 13: the catalogue, an indicator, the export, four lists, a timeline, the research
    # extract and codebook, the dashboard and its data, the read audit.
    statuses = run_schemathesis(served.base_url, ANALYST, operations=13,
                                path_parameters=path_parameters,
                                checks=[status_code_conformance, content_type_conformance,
                                        response_schema_conformance])
    assert {200, 404, 422} <= statuses.keys(), statuses
