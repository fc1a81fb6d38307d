"""Where `polku up` and the tests get Kafka and PostgreSQL: servers named in the environment
(KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL), else testcontainers where a Docker engine answers
(tests only), else the embedded local stack."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from polku.extras import require_stack
from polku.stack import (
    LocalStack,
    Report,
    StackError,
    drop_database,
    ensure_database,
    free_port,
    kafka_ready,
    run_sync,
    with_database,
)
from services.runtime.settings import StackSettings

Kind = Literal["env", "testcontainers", "embedded"]

KAFKA_IMAGE = "apache/kafka:4.1.1"
POSTGRES_IMAGE = "postgres:17"


class Infrastructure:
    """A running Kafka and PostgreSQL, whichever way they were provided."""

    def __init__(
        self,
        kind: Kind,
        kafka_bootstrap: str,
        server_url: str,
        stoppers: list[Callable[[], None]],
        stack: LocalStack | None = None,
    ) -> None:
        self.kind = kind
        self.kafka_bootstrap = kafka_bootstrap
        self.server_url = server_url  # the 'postgres' database of the server
        self.local_stack = stack
        self._stoppers = stoppers

    def database_url(self, name: str) -> str:
        """URL of database `name`, created when missing."""
        return run_sync(self.adatabase_url(name))

    async def adatabase_url(self, name: str) -> str:
        await ensure_database(self.server_url, name)
        return with_database(self.server_url, name)

    async def drop_database(self, name: str) -> None:
        await drop_database(self.server_url, name)

    def restart_kafka(self) -> None:
        """Stop and start the embedded broker, keeping its data (embedded stack only)."""
        if self.local_stack is None or self.local_stack.kafka is None:
            raise StackError(f"the broker is not ours to restart (infrastructure: {self.kind})")
        self.local_stack.kafka.restart()

    def stop(self) -> None:
        while self._stoppers:
            with contextlib.suppress(Exception):
                self._stoppers.pop()()


def docker_available(timeout: float = 2.0) -> bool:
    """Whether a Docker engine answers a ping within `timeout` seconds (never raises)."""
    answer: list[bool] = []

    def ping() -> None:
        try:
            import docker

            client = docker.from_env(timeout=int(max(timeout, 1)))
            answer.append(bool(client.ping()))
            client.close()
        except Exception:
            answer.append(False)

    thread = threading.Thread(target=ping, daemon=True, name="polku-docker-ping")
    thread.start()
    thread.join(timeout)
    return bool(answer and answer[0])


def start_infrastructure(
    state_dir: Path | str | None = None,
    *,
    ephemeral: bool,
    reset: bool = False,
    report: Report = print,
    settings: StackSettings | None = None,
    durable: bool | None = None,
) -> Infrastructure:
    """Provide Kafka and PostgreSQL. `ephemeral` (tests): a fresh temporary state directory,
    deleted at stop(), and testcontainers where Docker answers; otherwise (`polku up`) the
    persistent `state_dir` (default POLKU_STATE_DIR, `.polku/`), emptied first when `reset`.
    An ephemeral PostgreSQL skips fsync unless `durable` (benchmarks must not)."""
    settings = settings or StackSettings()
    kafka_env = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or None
    database_env = os.environ.get("DATABASE_URL") or None
    if kafka_env and database_env:
        report(f"Kafka       {kafka_env}  (KAFKA_BOOTSTRAP_SERVERS)")
        report(f"PostgreSQL  {_redact(database_env)}  (DATABASE_URL)")
        return Infrastructure("env", kafka_env, with_database(database_env, "postgres"), [])
    if ephemeral and docker_available():
        return _containers(kafka_env, database_env, report)
    lib_dir = (settings.polku_state_dir / "kafka" / "lib").resolve()
    stack = LocalStack(
        None if ephemeral else Path(state_dir or settings.polku_state_dir),
        kafka_port=None if ephemeral else settings.polku_kafka_port,
        postgres_port=None if ephemeral else settings.polku_postgres_port,
        kafka_heap=settings.polku_kafka_heap,
        kafka_lib_dir=lib_dir,
        with_kafka=kafka_env is None,
        with_postgres=database_env is None,
        reset=reset and not ephemeral,
        report=report,
        durable=durable,
    ).start()
    return Infrastructure(
        "embedded",
        kafka_env or stack.kafka_bootstrap,
        with_database(database_env, "postgres") if database_env else stack.postgres_url(),
        [stack.stop],
        stack,
    )


def _redact(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    creds, at, host = rest.rpartition("@")
    return f"{scheme}{sep}{creds.split(':')[0]}:***@{host}" if at and ":" in creds else url


def _containers(kafka_env: str | None, database_env: str | None, report: Report) -> Infrastructure:
    """Apache Kafka and PostgreSQL in containers; Ryuk removes them if this process dies."""
    require_stack("PostgreSQL and Kafka in containers", ("testcontainers", "docker"))
    stoppers: list[Callable[[], None]] = []
    try:
        server_url = with_database(database_env, "postgres") if database_env else ""
        if not database_env:
            from testcontainers.community.postgres import PostgresContainer

            postgres: Any = PostgresContainer(
                POSTGRES_IMAGE,
                username="postgres",
                password="postgres",
                dbname="postgres",
                driver=None,
            )
            postgres.start()
            stoppers.append(postgres.stop)
            server_url = postgres.get_connection_url()
            report(f"PostgreSQL  {_redact(server_url)}  (container {POSTGRES_IMAGE})")
        bootstrap = kafka_env or _kafka_container(stoppers)
        if not kafka_env:
            report(f"Kafka       {bootstrap}  (container {KAFKA_IMAGE})")
    except BaseException:
        for stop in reversed(stoppers):
            with contextlib.suppress(Exception):
                stop()
        raise
    return Infrastructure("testcontainers", bootstrap, server_url, stoppers)


def _kafka_container(stoppers: list[Callable[[], None]]) -> str:
    from testcontainers.core.container import DockerContainer

    # The advertised address must be the one clients dial, so bind a known host port.
    host_port = free_port()
    container: Any = DockerContainer(KAFKA_IMAGE).with_bind_ports(9092, host_port)
    env = {
        "KAFKA_NODE_ID": "1",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": "PLAINTEXT://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093",
        "KAFKA_ADVERTISED_LISTENERS": f"PLAINTEXT://127.0.0.1:{host_port}",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
        "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
        "KAFKA_NUM_PARTITIONS": "3",
        "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
        "KAFKA_HEAP_OPTS": "-Xmx512m -Xms128m",
    }
    for key, value in env.items():
        container.with_env(key, value)
    container.start()
    stoppers.append(container.stop)
    bootstrap = f"127.0.0.1:{host_port}"
    deadline = time.monotonic() + 90
    while not run_sync(kafka_ready(bootstrap)):
        if time.monotonic() > deadline:
            raise StackError(f"the Kafka container on {bootstrap} did not become ready")
        time.sleep(0.5)
    return bootstrap
