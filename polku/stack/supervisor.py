"""Keeps `polku up`'s service processes running: one that dies is started again after a
backoff that doubles (1 s up to 30 s, back to 1 s once it has run a minute), with a line
saying which died, how, where its log is and when it comes back; the others run on."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from polku.stack.processes import _spawn

FIRST_DELAY = 1.0
MAX_DELAY = 30.0
# A process that ran this long before it died counts as having been healthy: its next
# restart waits FIRST_DELAY again instead of continuing to double.
HEALTHY_AFTER = 60.0
STOP_TIMEOUT = 15.0


def backoff(failures: int, *, first: float = FIRST_DELAY, most: float = MAX_DELAY) -> float:
    """Seconds before the restart after the `failures`-th death in a row (1, 2, 3, …)."""
    return float(min(most, first * 2 ** max(0, failures - 1)))


def describe_exit(code: int) -> str:
    """`exit code 3`, or for a signal `exit code -9, killed by SIGKILL`."""
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"exit code {code}, killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


@dataclass
class Child:
    """One supervised process: how to start it and what happened to it so far."""

    name: str
    command: list[str]
    env: dict[str, str] | None
    log: Path
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    failures: int = 0  # deaths in a row, each after less than HEALTHY_AFTER
    restart_at: float | None = None  # monotonic time of a pending restart
    restarts: int = 0


class Supervisor:
    """Starts named processes, restarts the ones that die (once `watch` runs), stops them all.

    Children are spawned in their own process groups, so the terminal's Ctrl-C reaches only
    the owner, which then stops them in order; they die with the owner (PDEATHSIG) if it is
    killed. Every start, check and restart happens under one lock, so `stop` never races a
    restart: one in progress finishes first and is then stopped with the rest.
    """

    def __init__(
        self, report: Callable[[str], None], *, first_delay: float = FIRST_DELAY,
        max_delay: float = MAX_DELAY, healthy_after: float = HEALTHY_AFTER, poll: float = 0.2,
    ) -> None:
        self.report = report
        self.first_delay, self.max_delay = first_delay, max_delay
        self.healthy_after, self.poll = healthy_after, poll
        self._children: dict[str, Child] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def processes(self) -> dict[str, subprocess.Popen[bytes]]:
        """The current process of each child (a dead one until its restart)."""
        with self._lock:
            return {n: c.process for n, c in self._children.items() if c.process is not None}

    def start(self, name: str, command: list[str], *, log: Path,
              env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        child = Child(name, command, env, log)
        with self._lock:
            if self._stopping.is_set():
                raise RuntimeError(f"not starting {name}: stopping")
            self._spawn(child)
            self._children[name] = child
        assert child.process is not None
        return child.process

    def watch(self) -> None:
        """Restart children that die, from a background thread, until `stop`."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, daemon=True,
                                            name="polku-up-supervisor")
            self._thread.start()

    def stop(self, report: Callable[[str], None] | None = None,
             timeout: float = STOP_TIMEOUT) -> None:
        """Cancel pending restarts, then SIGTERM every child, SIGKILL those still there after
        `timeout` seconds."""
        report = report or self.report
        self._stopping.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        with self._lock:
            children = list(self._children.values())
            for child in children:
                child.restart_at = None
        for child in children:
            if child.process is not None and child.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
            report(f"stopped {child.name}")

    def _run(self) -> None:
        while not self._stopping.wait(self.poll):
            with self._lock:
                if self._stopping.is_set():
                    return
                now = time.monotonic()
                for child in self._children.values():
                    self._check(child, now)

    def _check(self, child: Child, now: float) -> None:
        if child.restart_at is not None:
            if now >= child.restart_at:
                self._restart(child, now)
            return
        assert child.process is not None
        code = child.process.poll()
        if code is None:
            return
        ran = now - child.started
        child.failures = 1 if ran >= self.healthy_after else child.failures + 1
        self._schedule(child, now, f"{child.name} died ({describe_exit(code)}) after {ran:.0f} s")

    def _restart(self, child: Child, now: float) -> None:
        child.restart_at = None
        try:
            self._spawn(child)
        except OSError as error:
            child.failures += 1
            self._schedule(child, now, f"{child.name} could not be started ({error})")
            return
        child.restarts += 1
        assert child.process is not None
        self.report(f"{child.name} restarted (pid {child.process.pid}, "
                    f"restart {child.restarts}); log {child.log}")

    def _schedule(self, child: Child, now: float, what: str) -> None:
        delay = backoff(child.failures, first=self.first_delay, most=self.max_delay)
        child.restart_at = now + delay
        at = (datetime.now() + timedelta(seconds=delay)).strftime("%H:%M:%S")
        self.report(f"{what}; log {child.log}; restarting in {delay:g} s (at {at})")

    def _spawn(self, child: Child) -> None:
        child.log.parent.mkdir(parents=True, exist_ok=True)
        with child.log.open("ab") as log:  # the child keeps its own descriptor
            child.process = _spawn(child.command, log=log, death_signal=signal.SIGTERM,
                                   env=child.env)
        child.started = time.monotonic()
