"""Child processes of the embedded stack: spawning servers that die with their owner
(PR_SET_PDEATHSIG), ending them, owner locks, ports, and stopping everything on exit or signal."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import fcntl
import os
import pwd
import queue
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from polku.stack import LocalStack
    from polku.stack.kafka import EmbeddedKafka
    from polku.stack.postgres import EmbeddedPostgres

T = TypeVar("T")


class StackError(RuntimeError):
    """The embedded stack could not start; the message says what to do."""


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


# Ports free_port handed out: callers bind them only later, so the kernel may offer the same
# port again meanwhile (it did: two listeners of one broker on one port).
_given: set[int] = set()


def free_port(host: str = "127.0.0.1") -> int:
    """A port free now that this process has not been given before."""
    while True:
        with socket.socket() as sock:
            sock.bind((host, 0))
            port = int(sock.getsockname()[1])
        if port not in _given:
            _given.add(port)
            return port


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
    from polku.stack import LocalStack  # the package imports this module

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
