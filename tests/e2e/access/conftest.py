"""The four services on their own databases, on the session's broker, for the access tests."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from polku.infra import Infrastructure
from services.assessment.app import definition as assessment
from services.coaching.app import definition as coaching
from services.referral.app import definition as referral
from services.reporting.app import build_definition
from tests.support.services import RunningService, running_service


@dataclass
class Stack:
    services: dict[str, RunningService]

    def __getitem__(self, name: str) -> RunningService:
        return self.services[name]


@pytest.fixture(scope="module")
async def stack(infra: Infrastructure) -> AsyncIterator[Stack]:
    definitions = {"referral": referral, "assessment": assessment, "coaching": coaching,
                   "reporting": build_definition(f"reporting-access-{uuid.uuid4().hex[:8]}")}
    names = {name: f"test_access_{name}_{uuid.uuid4().hex[:8]}" for name in definitions}
    async with contextlib.AsyncExitStack() as exits:
        services = {}
        for name, definition in definitions.items():
            url = await infra.adatabase_url(names[name])
            services[name] = await exits.enter_async_context(running_service(
                definition, database_url=url, kafka_bootstrap=infra.kafka_bootstrap))
        yield Stack(services)
    for name in names.values():
        await infra.drop_database(name)
