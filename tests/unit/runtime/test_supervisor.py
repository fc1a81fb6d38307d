"""The supervisor of `polku up` over real child processes (sleeping Pythons): a killed child
comes back after a doubling backoff that resets after a healthy run, the others are left
alone, and stopping cancels a pending restart and leaves no process behind."""

from __future__ import annotations

import os
import re
import signal
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from polku.stack.supervisor import Supervisor, backoff, describe_exit

RESTART = re.compile(r"^(\w+) died \((exit code -?\d+[^)]*)\) after \d+ s; log (\S+); "
                     r"restarting in ([\d.]+) s \(at \d\d:\d\d:\d\d\)$")


def sleeper(marker: str) -> list[str]:
    return [sys.executable, "-c", "import sys, time; print('up', flush=True); time.sleep(120)",
            marker]


def marked(marker: str) -> list[int]:
    """Pids of living processes whose command line carries `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if marker.encode() in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def wait_for(condition: Callable[[], object], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.02)


@pytest.fixture
def lines() -> list[str]:
    return []


@pytest.fixture
def supervisor(lines: list[str]) -> Iterator[Supervisor]:
    supervisor = Supervisor(lines.append, first_delay=0.1, max_delay=0.4, healthy_after=1.5,
                            poll=0.02)
    try:
        yield supervisor
    finally:
        supervisor.stop(timeout=5)


def test_backoff_doubles_from_one_second_to_thirty() -> None:
    assert [backoff(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_an_exit_is_described_by_code_and_signal() -> None:
    assert describe_exit(3) == "exit code 3"
    assert describe_exit(-9) == "exit code -9, killed by SIGKILL"
    assert describe_exit(-15) == "exit code -15, killed by SIGTERM"


def kill_and_wait_back(supervisor: Supervisor, name: str, lines: list[str], log: Path) -> float:
    """Once `name` has started (it says so in its log), SIGKILL it and wait for its new
    process; the delay the supervisor announced."""
    starts = 1 + sum(line.startswith(f"{name} restarted") for line in lines)
    wait_for(lambda: log.read_text().count("up\n") == starts, f"{name} start {starts} logged")
    old = supervisor.processes[name]
    seen = len(lines)
    os.kill(old.pid, signal.SIGKILL)
    wait_for(lambda: supervisor.processes[name].pid != old.pid, f"{name} restarted")
    died = [m for m in map(RESTART.match, lines[seen:]) if m]
    assert len(died) == 1 and died[0][1] == name, lines[seen:]
    assert died[0][2] == "exit code -9, killed by SIGKILL"
    restarted = f"{name} restarted (pid {supervisor.processes[name].pid}, restart "
    assert any(line.startswith(restarted) for line in lines[seen:]), lines[seen:]
    return float(died[0][4])


def test_a_killed_child_comes_back_with_backoff_and_the_other_is_untouched(
    supervisor: Supervisor, lines: list[str], tmp_path: Path
) -> None:
    marker = uuid.uuid4().hex
    for name in ("coaching", "reporting"):
        supervisor.start(name, sleeper(f"{marker}-{name}"), log=tmp_path / f"{name}.log")
    other = supervisor.processes["reporting"].pid
    supervisor.watch()

    log = tmp_path / "coaching.log"
    delays = [kill_and_wait_back(supervisor, "coaching", lines, log) for _ in range(4)]
    assert delays == [0.1, 0.2, 0.4, 0.4]  # doubling, capped
    assert str(tmp_path / "coaching.log") in lines[0]
    time.sleep(1.6)  # a healthy run: the next death starts the backoff again
    assert kill_and_wait_back(supervisor, "coaching", lines, log) == 0.1

    assert supervisor.processes["reporting"].pid == other
    assert supervisor.processes["reporting"].poll() is None
    assert marked(f"{marker}-reporting") == [other]
    assert marked(f"{marker}-coaching") == [supervisor.processes["coaching"].pid]
    assert not any(line.startswith("reporting") for line in lines)
    wait_for(lambda: log.read_text().count("up\n") == 6,
             "every start of coaching wrote to the same log")


def test_stop_cancels_a_pending_restart_and_leaves_nothing_running(
    lines: list[str], tmp_path: Path
) -> None:
    supervisor = Supervisor(lines.append, first_delay=30, poll=0.02)
    marker = uuid.uuid4().hex
    for name in ("coaching", "reporting"):
        supervisor.start(name, sleeper(f"{marker}-{name}"), log=tmp_path / f"{name}.log")
    supervisor.watch()
    os.kill(supervisor.processes["coaching"].pid, signal.SIGKILL)
    wait_for(lambda: any("restarting in 30 s" in line for line in lines), "the death noticed")

    started = time.monotonic()
    supervisor.stop(timeout=5)
    assert time.monotonic() - started < 5, "stop waited for the pending restart"
    time.sleep(0.2)
    assert marked(marker) == []
    assert not any("restarted" in line for line in lines), lines
    assert lines[-2:] == ["stopped coaching", "stopped reporting"]
    with pytest.raises(RuntimeError, match="stopping"):
        supervisor.start("referral", sleeper(marker), log=tmp_path / "referral.log")
