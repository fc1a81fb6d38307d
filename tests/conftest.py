"""One stack per test session: real Kafka and PostgreSQL, started only when a test asks for
them (pure unit tests start nothing), stopped whatever way the session ends."""

from __future__ import annotations

import atexit
import sys
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from polku.infra import Infrastructure, start_infrastructure


@pytest.fixture(scope="session")
def infra(request: pytest.FixtureRequest) -> Iterator[Infrastructure]:
    """Kafka and PostgreSQL for the session: KAFKA_BOOTSTRAP_SERVERS/DATABASE_URL when set,
    else containers where Docker answers, else the embedded stack in a temporary directory."""
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")

    def report(line: str) -> None:  # past the output capture: where the servers are matters
        if reporter is None or capture is None:
            print(f"[stack] {line}", file=sys.stderr)
            return
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"[stack] {line}")

    started = start_infrastructure(ephemeral=True, report=report)
    # The finaliser covers failures and KeyboardInterrupt; atexit covers a session that never
    # reaches teardown (stop() is idempotent).
    atexit.register(started.stop)
    try:
        yield started
    finally:
        started.stop()
        atexit.unregister(started.stop)


@pytest.fixture(scope="session")
def kafka_bootstrap(infra: Infrastructure) -> str:
    return infra.kafka_bootstrap


@pytest.fixture
async def database_url(infra: Infrastructure) -> AsyncIterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    url = await infra.adatabase_url(name)
    try:
        yield url
    finally:
        await infra.drop_database(name)


@pytest.fixture
async def new_topic(kafka_bootstrap: str) -> AsyncIterator[str]:
    """A fresh topic with three partitions for one test, deleted afterwards."""
    name = f"test.{uuid.uuid4().hex[:12]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=3, replication_factor=1)])
        yield name
        await admin.delete_topics([name])
    finally:
        await admin.close()
