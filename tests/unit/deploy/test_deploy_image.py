"""deploy/Dockerfile (read, not built: no Docker engine here) and the image's health check."""

from __future__ import annotations

import fnmatch
import http.server
import importlib.util
import json
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[3]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
DOCKERIGNORE = ROOT / "deploy" / "Dockerfile.dockerignore"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text("utf-8"))
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def stages() -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    current = None
    for keyword, rest in instructions():
        if keyword == "FROM":
            current = rest.split(" AS ")[-1].strip()
            found[current] = []
        elif current is not None:
            found[current].append((keyword, rest))
    return found


def test_two_stages_on_the_same_slim_python() -> None:
    args = dict(rest.split("=", 1) for k, rest in instructions() if k == "ARG" and "=" in rest)
    assert args["PYTHON_IMAGE"] == "python:3.11-slim"
    froms = [rest for k, rest in instructions() if k == "FROM"]
    assert froms == ["${PYTHON_IMAGE} AS builder", "${PYTHON_IMAGE} AS runtime"]


def test_runtime_copies_only_the_venv_and_runs_as_uid_10001() -> None:
    runtime = stages()["runtime"]
    copies = [rest for k, rest in runtime if k in {"COPY", "ADD"}]
    assert copies == ["--from=builder /opt/venv /opt/venv"]
    assert ("USER", "10001:10001") in runtime
    assert any("--uid 10001" in rest for k, rest in runtime if k == "RUN")
    # Nothing after USER switches back to root.
    after_user = runtime[runtime.index(("USER", "10001:10001")) :]
    assert [k for k, _ in after_user].count("USER") == 1


def test_builder_installs_the_locked_set_and_a_wheel_into_the_venv() -> None:
    builder = stages()["builder"]
    runs = " ".join(" ".join(rest.split()) for k, rest in builder if k == "RUN")
    assert "python -m venv --without-pip /opt/venv" in runs
    venv_pip = "pip --python /opt/venv/bin/python install"
    assert f"{venv_pip} --require-hashes --no-deps -r requirements/runtime.lock" in runs
    build_pip = "/opt/build/bin/pip install"
    assert f"{build_pip} --require-hashes --no-deps -r requirements/build.lock" in runs
    assert "pip wheel --no-deps --no-build-isolation --wheel-dir /wheels ." in runs
    assert f"{venv_pip} --no-deps /wheels/polku-*.whl" in runs
    assert "-e " not in runs  # an editable install would point at /src, absent at run time
    # Nothing is resolved on the day of the build: every install is of locked pins or --no-deps.
    installs = re.findall(r"pip(?: --python \S+)? install [^&]*", runs)
    assert len(installs) == 3 and all("--no-deps" in i for i in installs), installs
    assert "--upgrade" not in runs
    # The locks are copied before the sources, so a code change reuses the dependency layer.
    copies = [rest for k, rest in builder if k == "COPY"]
    assert copies[0] == "requirements/runtime.lock requirements/build.lock ./requirements/"


def test_entrypoint_cmd_and_healthcheck() -> None:
    runtime = dict(stages()["runtime"])
    assert json.loads(runtime["ENTRYPOINT"]) == ["polku"]
    assert json.loads(runtime["CMD"]) == ["serve", "referral"]
    healthcheck = runtime["HEALTHCHECK"]
    command = json.loads(healthcheck.split(" CMD ", 1)[1])
    assert command == ["python", "/opt/venv/bin/polku-healthcheck"]
    copied = [rest for k, rest in stages()["builder"] if k == "COPY"]
    assert "deploy/healthcheck.py /opt/venv/bin/polku-healthcheck" in copied
    env = " ".join(rest for k, rest in stages()["runtime"] if k == "ENV")
    assert "POLKU_HTTP_HOST=0.0.0.0" in env and "PYTHONDONTWRITEBYTECODE=1" in env


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; `!` re-includes."""
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatch(p, pattern) for p in prefixes) or fnmatch.fnmatch(
            path, pattern.replace("**/", "*")
        ):
            ignored = not negate
    return ignored


def test_dockerignore_keeps_what_the_builder_copies_and_drops_the_rest() -> None:
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    sources = []
    for keyword, rest in stages()["builder"]:
        if keyword == "COPY" and not rest.startswith("--from"):
            sources.extend(rest.split()[:-1])
    assert "pyproject.toml" in sources
    for source in sources:
        if "*" in source:
            continue
        assert (ROOT / source).exists(), f"the builder copies missing {source}"
        assert not _ignored(source, patterns), f"{source} is excluded from the build context"
        for file in (ROOT / source).rglob("*.py") if (ROOT / source).is_dir() else []:
            relative = file.relative_to(ROOT).as_posix()
            if "__pycache__" not in relative:
                assert not _ignored(relative, patterns), relative
    for unwanted in (".venv/bin/python", ".git/HEAD", "tests/unit", "deploy/.env", ".polku"):
        assert _ignored(unwanted, patterns), f"{unwanted} would be sent to the builder"


# -- the health check script ------------------------------------------------------------


def load_healthcheck() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "polku_healthcheck", ROOT / "deploy" / "healthcheck.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


healthcheck = load_healthcheck()


class _Handler(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[http.server.HTTPServer]:
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_healthy_service_answers_zero(server: http.server.HTTPServer) -> None:
    _Handler.status = 200
    env = {"POLKU_HTTP_PORT": str(server.server_port), "POLKU_HTTP_HOST": "0.0.0.0"}
    cmdline = ["/opt/venv/bin/python", "/opt/venv/bin/polku", "serve", "coaching"]
    assert healthcheck.check(cmdline, env) == 0


def test_unhealthy_or_absent_service_answers_one(server: http.server.HTTPServer) -> None:
    _Handler.status = 503
    env = {"POLKU_HTTP_PORT": str(server.server_port)}
    assert healthcheck.check(["polku", "serve", "reporting"], env) == 1
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    closed = {"POLKU_HTTP_PORT": str(closed_port)}
    assert healthcheck.check(["polku", "serve", "reporting"], closed) == 1


def test_default_port_follows_the_served_service() -> None:
    for service, port in {
        "referral": 8001,
        "assessment": 8002,
        "coaching": 8003,
        "reporting": 8004,
    }.items():
        assert healthcheck.healthz_url(service, {}) == f"http://127.0.0.1:{port}/healthz"
    assert healthcheck.healthz_url("referral", {"POLKU_HTTP_HOST": "::"}).startswith(
        "http://127.0.0.1:"
    )


def test_one_shot_commands_have_nothing_to_check() -> None:
    assert healthcheck.check(["polku", "migrate", "--service", "referral"], {}) == 0
    assert healthcheck.check(["polku", "dlq", "list"], {}) == 0
    assert healthcheck.check(["polku", "serve", "nonsense"], {}) == 1
