"""`polku up`: the embedded stack plus the four services as child processes, until Ctrl-C.

Each service runs as `polku serve <name>` with its own database on the stack's PostgreSQL;
their logs go to `<state dir>/logs/<name>.log`. A service that dies is restarted with backoff
while the others run on (stack/supervisor.py). Children die with the parent (PDEATHSIG), so
an interrupted or killed `polku up` leaves no servers behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx

from contracts.codes import OrganisationKind, Role
from contracts.organisations import load_registry
from polku.infra import Infrastructure, start_infrastructure
from polku.stack.supervisor import Supervisor
from services.runtime.http import issue_token
from services.runtime.settings import ServiceSettings, StackSettings

ORDER = ("referral", "assessment", "coaching", "reporting")
PORTS = {name: 8001 + offset for offset, name in enumerate(ORDER)}
# The dashboard link's token: a working day, or the longest lifetime allowed if shorter.
DASHBOARD_TOKEN_TTL = timedelta(hours=8)


def ports_from(first: int) -> dict[str, int]:
    """The services' ports when the first (referral) is `first`: PORTS shifted."""
    return {name: first + offset for offset, name in enumerate(ORDER)}


@dataclass
class RunningStack:
    infra: Infrastructure
    supervisor: Supervisor
    urls: dict[str, str] = field(default_factory=dict)

    @property
    def processes(self) -> dict[str, subprocess.Popen[bytes]]:
        """Each service's current process (a restarted service has a new one)."""
        return self.supervisor.processes

    def stop(self, report: Callable[[str], None], *, keep_infra: bool = False) -> None:
        """Stop supervising and the services (a pending or running restart included), then
        the infrastructure unless `keep_infra` (tests that share the session's Kafka and
        PostgreSQL)."""
        self.supervisor.stop(report)
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
    stack = RunningStack(infra, Supervisor(report))
    log_dir.mkdir(parents=True, exist_ok=True)
    try:
        for name in names:
            port = (ports or PORTS)[name]
            _refuse_busy_port(port, name)
            stack.supervisor.start(
                name, [sys.executable, "-m", "polku", "serve", name],
                env=service_env(infra, name, port, database_prefix),
                log=log_dir / f"{name}.log")
            stack.urls[name] = f"http://127.0.0.1:{port}"
    except BaseException:
        stack.supervisor.stop(report)
        raise
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


def dashboard_link(reporting_url: str, settings: ServiceSettings | None = None) -> str:
    """The dashboard's address with a development analyst's token in the fragment (`#token=`),
    which the page moves into session storage; the bare address when HS256 is off."""
    settings = settings or ServiceSettings()
    page = f"{reporting_url}/dashboard"
    if not settings.polku_jwt_secret or not settings.jwt_hs256_allowed():
        return f"{page}  (sign in with a token of your identity provider)"
    registry = load_registry(settings.polku_organisations_file)
    org = next((o for o in registry if o.kind == OrganisationKind.WELLBEING_SERVICES),
               next(iter(registry)))
    ttl = min(DASHBOARD_TOKEN_TTL, timedelta(seconds=settings.polku_jwt_max_token_lifetime))
    token = issue_token(secret=settings.polku_jwt_secret, org=org.id, role=Role.ANALYST.value,
                        sub=str(uuid.uuid4()), ttl=ttl)
    return f"{page}#token={token}"


def up(
    *, names: Sequence[str], reset: bool, demo: Callable[[RunningStack], None] | None,
    report: Callable[[str], None] = print, wait: bool = True,
) -> RunningStack:
    """Start the stack and services, supervised; with `wait`, run until interrupted, then
    stop all."""
    settings = StackSettings()
    infra = start_infrastructure(settings.polku_state_dir, ephemeral=False, reset=reset,
                                 report=report)
    stack = RunningStack(infra, Supervisor(report))
    try:
        log_dir = settings.polku_state_dir / "logs"
        stack = start_services(infra, names, log_dir, report,
                               ports=ports_from(settings.polku_up_first_port),
                               database_prefix=settings.polku_up_database_prefix)
        wait_ready(stack, log_dir)
        stack.supervisor.watch()
        for name, url in stack.urls.items():
            report(f"{name:<11} {url}  (docs {url}/docs, log {log_dir / name}.log)")
        link = dashboard_link(stack.urls["reporting"]) if "reporting" in stack.urls else None
        if link:
            report(f"dashboard   {link}")
        if demo is not None:
            demo(stack)
            if link:  # the demo's summary scrolled it away
                report(f"dashboard   {link}")
        if not wait:
            return stack
        report("Polku is running; a service that stops is restarted; "
               "press Ctrl-C to stop everything.")
        _wait_for_interrupt()
    except BaseException:
        stack.stop(report)
        raise
    stack.stop(report)
    return stack


def _wait_for_interrupt() -> None:
    """Until Ctrl-C or SIGTERM; the supervisor keeps the services running meanwhile."""
    stop = False

    def on_signal(*_: object) -> None:
        nonlocal stop
        stop = True

    # Both signals set the flag (Ctrl-C too, whatever handler the process inherited or a
    # library installed), so stopping never depends on where a KeyboardInterrupt lands.
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with contextlib.suppress(KeyboardInterrupt):
        while not stop:
            time.sleep(0.5)
