"""Schemathesis over the service's own /openapi.json: no generated request is a server error."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.e2e.referral.support import PEOPLE, ThreadedReferral
from tests.support.services import auth

SOTE = "kymenlaakso-sote"


@pytest.fixture(scope="module")
def svc(infra: Any, kafka_bootstrap: str) -> Iterator[ThreadedReferral]:
    with ThreadedReferral(infra, kafka_bootstrap) as running:
        yield running


def test_no_server_errors_for_generated_requests(svc: ThreadedReferral) -> None:
    headers = auth(SOTE, "admin")
    client_id = svc.http.post("/clients", json=PEOPLE.person(), headers=headers).json()[
        "client_id"]
    schema = schemathesis.openapi.from_url(f"{svc.base_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    statuses: Counter[int] = Counter()
    assert len(operations) == 12
    for operation in operations:
        # Half the path ids are real, so generated bodies reach the domain rules too.
        known = {"client_id": client_id} if "{client_id}" in operation.path else {}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for path_parameters in ({}, known) if known else ({},):
                strategy = operation.as_strategy(generation_mode=mode,
                                                 path_parameters=path_parameters or None)

                @settings(max_examples=12, deadline=None, database=None,
                          suppress_health_check=list(HealthCheck))
                @given(case=strategy)
                def call(case: schemathesis.Case) -> None:
                    case.headers = {**(case.headers or {}), **headers,
                                    "X-Correlation-Id": str(uuid.uuid4())}
                    response = case.call(base_url=svc.base_url)
                    statuses[response.status_code] += 1
                    case.validate_response(response, checks=[not_a_server_error])

                call()
    # The run reached authentication, validation and the domain, not only one status.
    assert sum(statuses.values()) >= 12 * 2 * 5, statuses
    assert {200, 201, 404, 422} <= statuses.keys(), statuses
