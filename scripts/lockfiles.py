"""Ties the lock files to pyproject.toml: stamps them with a digest of its dependency sections.

Standard library only: `make` runs it with the system Python before anything is installed.

    python scripts/lockfiles.py check requirements/*.lock   # exit 1 if pyproject.toml changed
    python scripts/lockfiles.py stamp requirements/*.lock   # after `uv pip compile` (make lock)
    python scripts/lockfiles.py build-requires              # [build-system].requires, one a line
    python scripts/lockfiles.py pick uv requirements/dev.lock  # one package's pin and hashes
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

STAMP_PREFIX = "# pyproject-sha256: "
STAMP_NOTE = "(dependency sections of pyproject.toml; refresh with `make lock`)"
REFRESH = "run `make lock`"


def dependency_sections(pyproject: Path) -> dict[str, Any]:
    """What the lock is made from: requires-python, dependencies, extras and build requires."""
    data = tomllib.loads(pyproject.read_text("utf-8"))
    project = data.get("project", {})
    return {
        "requires-python": project.get("requires-python"),
        "dependencies": project.get("dependencies", []),
        "optional-dependencies": project.get("optional-dependencies", {}),
        "build-system.requires": data.get("build-system", {}).get("requires", []),
    }


def _canonical(value: Any) -> Any:
    """Requirement lists sorted and stripped: their order does not change the resolution."""
    if isinstance(value, list):
        return sorted(" ".join(str(item).split()) for item in value)
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    return value


def digest(pyproject: Path) -> str:
    """sha256 of the dependency sections in a canonical form (formatting and order of keys do
    not matter; a changed, added or removed requirement does)."""
    sections = _canonical(dependency_sections(pyproject))
    canonical = json.dumps(sections, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def stamp_line(pyproject: Path) -> str:
    return f"{STAMP_PREFIX}{digest(pyproject)} {STAMP_NOTE}"


def recorded_digest(lock: Path) -> str | None:
    """The digest in the lock's stamp line, or None when it has none."""
    for line in lock.read_text("utf-8").splitlines():
        if line.startswith(STAMP_PREFIX):
            return line[len(STAMP_PREFIX) :].split()[0]
        if line and not line.startswith("#"):
            return None  # the stamp is in the header, before the first requirement
    return None


def problems(pyproject: Path, locks: list[Path]) -> list[str]:
    """One message per lock file that is missing or was not made from this pyproject.toml."""
    expected = digest(pyproject)
    found = []
    for lock in locks:
        if not lock.is_file():
            found.append(f"{lock}: the lock file is missing: {REFRESH}")
            continue
        recorded = recorded_digest(lock)
        if recorded is None:
            found.append(f"{lock}: no `{STAMP_PREFIX.strip('# :')}` line: {REFRESH}")
        elif recorded != expected:
            found.append(f"{lock}: pyproject.toml changed since the lock was made: {REFRESH}")
    return found


def stamp(pyproject: Path, lock: Path) -> None:
    """Put the stamp line first in `lock`, replacing an earlier one."""
    lines = [line for line in lock.read_text("utf-8").splitlines()
             if not line.startswith(STAMP_PREFIX)]
    lock.write_text("\n".join([stamp_line(pyproject), *lines]) + "\n", "utf-8")


def pick(name: str, lock: Path) -> str:
    """The requirement of `name` in `lock` with its hashes, as a one-package lock file."""
    block: list[str] = []
    for line in lock.read_text("utf-8").splitlines():
        if block and not block[-1].endswith("\\"):
            break
        if block or line.lower().startswith(f"{name.lower()}=="):
            block.append(line)
    if not block:
        raise SystemExit(f"{lock}: {name} is not locked: {REFRESH}")
    return "\n".join(block) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Ties the lock files to pyproject.toml.")
    parser.add_argument("command", choices=["check", "stamp", "build-requires", "pick"])
    parser.add_argument("locks", nargs="*", help="lock files (pick: a package, then one lock)")
    parser.add_argument("--pyproject", type=Path, default=Path("pyproject.toml"))
    args = parser.parse_intermixed_args(argv)
    if args.command == "build-requires":
        print("# [build-system].requires of pyproject.toml, written by `make lock`")
        print("\n".join(dependency_sections(args.pyproject)["build-system.requires"]))
        return 0
    if args.command == "pick":
        name, lock = args.locks
        sys.stdout.write(pick(name, Path(lock)))
        return 0
    locks = [Path(lock) for lock in args.locks]
    if args.command == "stamp":
        for lock in locks:
            stamp(args.pyproject, lock)
        return 0
    found = problems(args.pyproject, locks)
    for message in found:
        print(message, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
