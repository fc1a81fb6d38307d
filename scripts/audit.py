"""Vulnerability audit of the locked dependency set: pip-audit plus Polku's allow-list and verdict.

`make audit` (and so `make test`) runs it over requirements/dev.lock, which holds every pin of
runtime.lock and build.lock too. It fails (exit 1) on a known vulnerability that has a fixed
version and is not in requirements/audit-allow.txt (or whose entry is past its review date).
A vulnerability with no fix yet is printed as a warning. When the vulnerability service cannot
be reached or answers for only some packages, it says so plainly and, by default, passes with a
warning (the lock is unchanged and a findings-free run cannot be claimed either); `--strict`
(make AUDIT_STRICT=1) makes that a failure. pip-audit runs under a deadline, so it never hangs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "dev.lock"
RUNTIME_LOCK = ROOT / "requirements" / "runtime.lock"
ALLOW = ROOT / "requirements" / "audit-allow.txt"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", re.MULTILINE)


@dataclass(frozen=True)
class Allowed:
    """One allow-list entry: an advisory id accepted for a package until its review date."""

    id: str
    review_by: dt.date
    package: str
    reason: str


@dataclass
class Verdict:
    """What the audit found: failures fail the run, warnings are printed, `unchecked` says
    which packages the vulnerability service gave no answer for."""

    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    checked: int = 0


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_names(lock: Path) -> set[str]:
    return {canonical(m[1]) for m in _PIN.finditer(lock.read_text("utf-8"))}


def read_allow_list(path: Path) -> list[Allowed]:
    """`<id> <review-by YYYY-MM-DD> <package> <reason…>` per line; `#` starts a comment."""
    entries = []
    for number, raw in enumerate(path.read_text("utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split(None, 3)
        try:
            if len(parts) < 4:
                raise ValueError("expected: <id> <review-by YYYY-MM-DD> <package> <reason>")
            review_by = dt.date.fromisoformat(parts[1])
        except ValueError as error:
            raise SystemExit(f"{path}:{number}: {error}") from error
        entries.append(Allowed(parts[0], review_by, canonical(parts[2]), parts[3]))
    return entries


def _allowance(vuln: dict[str, Any], package: str, allowed: list[Allowed]) -> Allowed | None:
    ids = {vuln["id"], *vuln.get("aliases", [])}
    matches = [a for a in allowed if a.id in ids and a.package == package]
    return max(matches, key=lambda a: a.review_by) if matches else None


def assess(
    report: dict[str, Any], allowed: list[Allowed], today: dt.date, runtime: set[str]
) -> Verdict:
    """The verdict on a pip-audit JSON report (`--format json`)."""
    verdict = Verdict()
    for dependency in report.get("dependencies", []):
        name, version = canonical(dependency["name"]), dependency.get("version", "?")
        if "skip_reason" in dependency:
            verdict.unchecked.append(f"{name}: {dependency['skip_reason']}")
            continue
        verdict.checked += 1
        where = " (in the production image)" if name in runtime else ""
        for vuln in dependency.get("vulns", []):
            fixes = ", ".join(vuln.get("fix_versions", []))
            finding = f"{name} {version}{where}: {vuln['id']}"
            entry = _allowance(vuln, name, allowed)
            if entry is not None and entry.review_by >= today:
                verdict.warnings.append(f"{finding} allowed until {entry.review_by}: "
                                        f"{entry.reason}")
            elif entry is not None:
                verdict.failures.append(f"{finding}: its allow-list entry expired on "
                                        f"{entry.review_by}; review it or take the fix")
            elif fixes:
                verdict.failures.append(f"{finding}, fixed in {fixes}: raise the pin (`make "
                                        f"lock-upgrade`) or allow it in {ALLOW.name}")
            else:
                verdict.warnings.append(f"{finding} has no fixed version yet")
    return verdict


def run_pip_audit(lock: Path, service: str, timeout: int, deadline: float) -> dict[str, Any]:
    """pip-audit's JSON report, or {"error": …} when the vulnerability service is unreachable.
    A usage error of pip-audit itself (exit code 2) stops the audit: that is our bug."""
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "audit.json"
        command = [sys.executable, "-m", "pip_audit", "-r", str(lock), "--require-hashes",
                   "--disable-pip", "--vulnerability-service", service, "--timeout",
                   str(timeout), "--progress-spinner", "off", "--desc", "off",
                   "--format", "json", "--output", str(output)]
        try:
            result = subprocess.run(command, capture_output=True, text=True,
                                    timeout=deadline, check=False)
        except subprocess.TimeoutExpired:
            return {"error": f"the vulnerability service ({service}) did not answer within "
                             f"{deadline:g} s"}
        if output.is_file() and output.stat().st_size:
            report: dict[str, Any] = json.loads(output.read_text("utf-8"))
            return report
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        last = lines[-1] if lines else f"exit code {result.returncode}"
        if result.returncode == 2:
            raise SystemExit(f"audit: pip-audit refused its arguments: {last}")
        return {"error": f"pip-audit could not query the vulnerability service ({service}): "
                         f"{last[:400]}"}


def _unchecked_summary(verdict: Verdict) -> str | None:
    if not verdict.unchecked:
        return None
    total = len(verdict.unchecked) + verdict.checked
    if not verdict.checked:
        return (f"the vulnerability service answered for none of the {total} locked packages "
                f"(pip-audit: {verdict.unchecked[0]})")
    return (f"{len(verdict.unchecked)} of {total} locked packages could not be checked, "
            f"e.g. {verdict.unchecked[0]}")


def report_and_exit_code(verdict: Verdict, error: str | None, strict: bool) -> int:
    """Print the verdict; 1 on findings (or, with `strict`, on an incomplete audit)."""
    for warning in verdict.warnings:
        print(f"audit: warning: {warning}")
    incomplete = error or _unchecked_summary(verdict)
    if incomplete:
        consequence = "failing (--strict)" if strict else "not failing: run with AUDIT_STRICT=1 " \
            "where the vulnerability service must be reachable"
        print(f"audit: AUDIT INCOMPLETE: {incomplete}; {consequence}", file=sys.stderr)
    for failure in verdict.failures:
        print(f"audit: VULNERABLE: {failure}", file=sys.stderr)
    if not verdict.failures and not incomplete:
        print(f"audit: {verdict.checked} locked packages checked, no known vulnerability "
              "with a fix outside the allow-list")
    return 1 if verdict.failures or (incomplete and strict) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Vulnerability audit of the locked set.")
    parser.add_argument("--lock", type=Path, default=LOCK)
    parser.add_argument("--runtime-lock", type=Path, default=RUNTIME_LOCK)
    parser.add_argument("--allow", type=Path, default=ALLOW)
    parser.add_argument("--service", default="pypi", choices=["pypi", "osv"])
    parser.add_argument("--timeout", type=int, default=10, help="per request, seconds")
    parser.add_argument("--deadline", type=float, default=180.0, help="whole audit, seconds")
    parser.add_argument("--report", type=Path, help="assess this pip-audit JSON instead")
    parser.add_argument("--strict", action="store_true",
                        help="fail when the service cannot be reached or skips packages")
    args = parser.parse_args(argv)
    allowed = read_allow_list(args.allow)
    if args.report:
        report = json.loads(args.report.read_text("utf-8"))
    else:
        report = run_pip_audit(args.lock, args.service, args.timeout, args.deadline)
    verdict = assess(report, allowed, dt.date.today(), locked_names(args.runtime_lock))
    return report_and_exit_code(verdict, report.get("error"), args.strict)


if __name__ == "__main__":
    sys.exit(main())
