"""Fixtures of the referral end-to-end tests: the running service and the leak guard."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import pytest
import structlog

from services.referral.app import definition
from tests.e2e.referral.support import PEOPLE, scan_topic_for_people, wait_until_published
from tests.support.services import RunningService, running_service


@pytest.fixture(autouse=True)
def no_personal_data_in_logs(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> Iterator[None]:
    """Every log line of the test (structlog events before redaction, stdlib records, and
    anything printed) is scanned for the identity codes and names the tests used."""
    caplog.set_level(logging.INFO)
    with structlog.testing.capture_logs() as captured:
        yield
    output = capsys.readouterr()
    text = "\n".join([repr(captured), caplog.text, output.out, output.err,
                      *(repr(r.__dict__) for r in caplog.records)])
    leaked = PEOPLE.found_in(text)
    assert not leaked, f"{len(leaked)} identity codes or names found in the logs"


@pytest.fixture
async def referral(database_url: str, kafka_bootstrap: str) -> AsyncIterator[RunningService]:
    async with running_service(definition, database_url=database_url,
                               kafka_bootstrap=kafka_bootstrap) as svc:
        yield svc
        await wait_until_published(svc)
    await scan_topic_for_people(kafka_bootstrap)
