"""Schemathesis over the coaching service's own /openapi.json: every operation, with valid and
invalid data, on unknown ids and on streams that take no more commands (so valid bodies
exercise the deciders without changing the world); no server error, every error
problem+json, times past the bounds included (tests/support/schemathesis_run)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.coaching.conftest import World
from tests.support.schemathesis_run import run_schemathesis

# The service's thread (aiokafka's jitter) touches the global `random` while hypothesis draws.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")


def test_schemathesis_finds_no_server_error(world: World) -> None:
    ended = {"engagement_id": str(world.ended_engagement),
             "placement_id": str(world.ended_placement)}

    def path_parameters(operation: Any) -> list[dict[str, str] | None]:
        names = {p.name for p in operation.path_parameters}
        return [None, {k: v for k, v in ended.items() if k in names}] if names else [None]

    statuses = run_schemathesis(world.base_url, world.coach, operations=8,
                                path_parameters=path_parameters)
    assert {400, 404, 409, 422} <= statuses.keys(), statuses
