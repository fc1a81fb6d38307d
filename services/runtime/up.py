"""`polku up`: the embedded stack plus the four services as child processes, until Ctrl-C.

Each service runs as `polku serve <name>` with its own database on the stack's PostgreSQL;
their logs go to `<state dir>/logs/<name>.log`. Children die with the parent (PDEATHSIG),
so an interrupted or killed `polku up` leaves no servers behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from services.runtime.infra import Infrastructure, start_infrastructure
from services.runtime.settings import StackSettings

PORTS = {"referral": 8001, "assessment": 8002, "coaching": 8003, "reporting": 8004}


def _die_with_parent() -> None:
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class RunningStack:
    infra: Infrastructure
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)

    def stop(self, report: Callable[[str], None], *, keep_infra: bool = False) -> None:
        """Stop the services, then the infrastructure unless `keep_infra` (tests that share
        the session's Kafka and PostgreSQL)."""
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for name, process in self.processes.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            report(f"stopped {name}")
        self.processes.clear()
        if keep_infra:
            return
        self.infra.stop()
        report("stack stopped")


def service_env(
    infra: Infrastructure, name: str, port: int, database_prefix: str = "polku_"
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=infra.database_url(f"{database_prefix}{name}"),
        KAFKA_BOOTSTRAP_SERVERS=infra.kafka_bootstrap,
        POLKU_HTTP_PORT=str(port),
    )
    env.setdefault("POLKU_LOG_FORMAT", "json")
    return env


def start_services(
    infra: Infrastructure, names: Sequence[str], log_dir: Path, report: Callable[[str], None],
    ports: dict[str, int] | None = None, database_prefix: str = "polku_",
) -> RunningStack:
    """Start `polku serve NAME` children; `ports` overrides the default ports and
    `database_prefix` the databases' names (`<prefix><name>`), for tests."""
    stack = RunningStack(infra)
    log_dir.mkdir(parents=True, exist_ok=True)
    for name in names:
        port = (ports or PORTS)[name]
        _refuse_busy_port(port, name)
        log = (log_dir / f"{name}.log").open("ab")
        stack.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "services.runtime", "serve", name],
            env=service_env(infra, name, port, database_prefix), stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        stack.urls[name] = f"http://127.0.0.1:{port}"
    return stack


def _refuse_busy_port(port: int, name: str) -> None:
    import socket

    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(
                f"port {port} for {name} is in use: stop what runs there (another `polku up`?)"
            )


def wait_ready(stack: RunningStack, log_dir: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    pending = dict(stack.urls)
    while pending:
        for name, url in list(pending.items()):
            process = stack.processes[name]
            if process.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with code {process.returncode}; see {log_dir / name}.log"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    del pending[name]
        if pending and time.monotonic() > deadline:
            raise RuntimeError(
                f"not ready after {timeout:.0f} s: {', '.join(pending)}; see the logs in {log_dir}"
            )
        time.sleep(0.3)


def up(
    *, names: Sequence[str], reset: bool, demo: Callable[[RunningStack], None] | None,
    report: Callable[[str], None] = print, wait: bool = True,
) -> RunningStack:
    """Start the stack and services; with `wait`, run until interrupted, then stop all."""
    settings = StackSettings()
    infra = start_infrastructure(settings.polku_state_dir, ephemeral=False, reset=reset,
                                 report=report)
    stack = RunningStack(infra)
    try:
        log_dir = settings.polku_state_dir / "logs"
        stack = start_services(infra, names, log_dir, report)
        wait_ready(stack, log_dir)
        for name, url in stack.urls.items():
            report(f"{name:<11} {url}  (docs {url}/docs, log {log_dir / name}.log)")
        if "reporting" in stack.urls:
            report(f"dashboard   {stack.urls['reporting']}/dashboard")
        if demo is not None:
            demo(stack)
        if not wait:
            return stack
        report("Polku is running; press Ctrl-C to stop everything.")
        _wait_for_interrupt(stack)
    except BaseException:
        stack.stop(report)
        raise
    stack.stop(report)
    return stack


def _wait_for_interrupt(stack: RunningStack) -> None:
    stop = False

    def on_signal(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    try:
        while not stop:
            for name, process in stack.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} stopped unexpectedly (code {process.returncode})")
            time.sleep(0.5)
    except KeyboardInterrupt:
        return
