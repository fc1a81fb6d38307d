"""`polku up` supervises: the real command with reporting and coaching on the session's Kafka
and PostgreSQL; its dashboard link signs in; coaching killed with SIGKILL is back (a new pid,
/healthz answering) while reporting kept its pid and answered throughout; Ctrl-C then stops
everything and leaves no service process behind."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from contracts.organisations import load_registry
from polku.infra import Infrastructure
from polku.up import ports_from

SERVICES = ("reporting", "coaching")
START_TIMEOUT = 180.0


def free_port_block() -> int:
    """A first port whose four ports (referral … reporting) are all free."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = int(probe.getsockname()[1])
        if first + 3 > 65535:
            continue
        taken = False
        for port in range(first, first + 4):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    taken = True
        if not taken:
            return first
    raise RuntimeError("no block of four free ports")


def service_pids(parent: int) -> dict[str, int]:
    """The `polku serve <name>` children of `parent`, by name (zombies left out)."""
    found: dict[str, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError):
            continue
        if int(fields[1]) != parent or fields[0] == "Z" or b"serve" not in argv:
            continue
        found[argv[argv.index(b"serve") + 1].decode()] = int(entry.name)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def wait_for(condition: Callable[[], object], what: str, output: Path,
             timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what}\n--- polku up said:\n"
                                 f"{output.read_text(errors='replace')}")
        time.sleep(0.1)


def healthy(url: str) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    return False


class Watch:
    """Asks a service's /healthz every 100 ms on a thread; counts answers and failures."""

    def __init__(self, url: str) -> None:
        self.url, self.answers, self.failures = url, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            if healthy(self.url):
                self.answers += 1
            else:
                self.failures += 1

    def __enter__(self) -> Watch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture
def polku_up(infra: Infrastructure, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes],
                                                                       Path, dict[str, str]]]:
    """`polku up --services reporting,coaching` in its own session, as from a terminal."""
    first, prefix = free_port_block(), f"test_sup_{uuid.uuid4().hex[:8]}_"
    output = tmp_path / "polku-up.out"
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap,
           "DATABASE_URL": infra.server_url, "POLKU_STATE_DIR": str(tmp_path / "state"),
           "POLKU_UP_FIRST_PORT": str(first), "POLKU_UP_DATABASE_PREFIX": prefix,
           "PYTHONUNBUFFERED": "1"}
    with output.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "polku", "up", "--services", ",".join(SERVICES)],
            env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
    ports = ports_from(first)
    urls = {name: f"http://127.0.0.1:{ports[name]}" for name in SERVICES}
    try:
        yield process, output, urls
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        import asyncio

        async def drop() -> None:
            for name in SERVICES:
                await infra.drop_database(f"{prefix}{name}")

        with contextlib.suppress(Exception):
            asyncio.run(drop())


def test_a_killed_service_is_restarted_and_ctrl_c_stops_everything(
    polku_up: tuple[subprocess.Popen[bytes], Path, dict[str, str]], tmp_path: Path
) -> None:
    process, output, urls = polku_up
    wait_for(lambda: "Polku is running" in output.read_text() or process.poll() is not None,
             "polku up running", output, START_TIMEOUT)
    said = output.read_text()
    assert process.poll() is None, said

    # The dashboard link signs in as a development analyst of a registry organisation.
    link = next(line.split()[1] for line in said.splitlines() if line.startswith("dashboard"))
    assert link.startswith(f"{urls['reporting']}/dashboard#token="), link
    token = link.split("#token=", 1)[1]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["role"] == "analyst" and claims["org"] in load_registry()
    assert str(uuid.UUID(claims["sub"])) == claims["sub"]
    query = {"indicator": "referrals_made"}
    signed = httpx.get(f"{urls['reporting']}/dashboard/data", params=query,
                       headers={"Authorization": f"Bearer {token}"})
    assert signed.status_code == 200, signed.text
    assert httpx.get(f"{urls['reporting']}/dashboard/data", params=query).status_code == 401

    pids = service_pids(process.pid)
    assert sorted(pids) == sorted(SERVICES), pids
    log = tmp_path / "state" / "logs" / "coaching.log"
    with Watch(urls["reporting"]) as reporting:
        os.kill(pids["coaching"], signal.SIGKILL)
        wait_for(lambda: "coaching died (exit code -9, killed by SIGKILL)" in output.read_text(),
                 "the death reported", output, 30)
        wait_for(lambda: service_pids(process.pid).get("coaching", pids["coaching"])
                 != pids["coaching"], "coaching restarted", output, 30)
        wait_for(lambda: healthy(urls["coaching"]), "coaching answering again", output, 90)
    died = next(line for line in output.read_text().splitlines() if "coaching died" in line)
    assert f"log {log}" in died and "restarting in 1 s (at " in died, died
    now = service_pids(process.pid)
    assert now["reporting"] == pids["reporting"], "reporting was restarted too"
    assert now["coaching"] != pids["coaching"] and alive(now["coaching"])
    assert f"coaching restarted (pid {now['coaching']}, restart 1)" in output.read_text()
    assert reporting.failures == 0 and reporting.answers > 5, vars(reporting)
    assert "reporting died" not in output.read_text()

    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the foreground group
    try:
        code = process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"polku up did not stop:\n{output.read_text()}") from None
    said = output.read_text()
    assert code == 0, said
    assert "stopped reporting" in said and "stopped coaching" in said, said
    assert not alive(now["reporting"]) and not alive(now["coaching"])
    assert not healthy(urls["reporting"]) and not healthy(urls["coaching"])
