"""Schemathesis over the assessment service's own /openapi.json: no generated request is a
server error, every error is problem+json, times past the bounds included
(tests/support/schemathesis_run)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.assessment.bad_input_setup import HEADERS, Setup
from tests.support.schemathesis_run import run_schemathesis

pytestmark = pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module:hypothesis.errors.HypothesisDeprecationWarning")


def test_schemathesis_finds_no_server_error(setup: Setup) -> None:
    known = {"client_id": setup.client_id, "assessment_id": setup.assessment_id,
             "plan_id": setup.plan_id}

    def path_parameters(operation: Any) -> list[dict[str, str] | None]:
        # Also the accessible client's real ids, so valid bodies reach the deciders.
        names = {p.name for p in operation.path_parameters}
        return [None, {k: v for k, v in known.items() if k in names}] if names else [None]

    statuses = run_schemathesis(setup.base_url, HEADERS, operations=10,
                                path_parameters=path_parameters)
    assert {400, 404, 422} <= statuses.keys(), statuses
    assert statuses.keys() & {200, 201}, statuses
