"""CycloneDX SBOM of the production image: the Python packages of requirements/runtime.lock, the
polku wheel itself as the described component, and the vendored Chart.js of the dashboard.

`make sbom` writes build/sbom.cdx.json. cyclonedx-py reads the lock (no network, no install);
this script then gives every package a purl bom-ref and the dependency graph that uv's `# via`
comments record, adds Chart.js (version and licence from VENDOR.md, checked against the
file's own banner, with the file's SHA-256), and validates the result against the CycloneDX
1.6 schema (once, in this process: loading the validator is the slow part).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RUNTIME_LOCK = ROOT / "requirements" / "runtime.lock"
DASHBOARD = ROOT / "services" / "reporting" / "dashboard"
CHART_JS = DASHBOARD / "chart.umd.min.js"
ROOT_REF = "root-component"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")
_VIA = re.compile(r"^\s+#\s+(?:via\s+)?([A-Za-z0-9][A-Za-z0-9._-]*)(?:\s|$)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_graph(lock: Path) -> dict[str, set[str]]:
    """Package → the packages that require it (`polku` for a direct dependency), from uv's
    `# via` comments."""
    parents: dict[str, set[str]] = {}
    current = None
    for line in lock.read_text("utf-8").splitlines():
        if pin := _PIN.match(line):
            current = canonical(pin[1])
            parents[current] = set()
        elif current and (via := _VIA.match(line)) and via[1] != "via":
            parents[current].add(canonical(via[1]))
    return parents


def chart_js_component() -> dict[str, Any]:
    """Chart.js as VENDOR.md names it, verified against the vendored file's banner."""
    vendor = (DASHBOARD / "VENDOR.md").read_text("utf-8")
    found = re.search(r"Chart\.js (\d+\.\d+\.\d+) \((\w[\w.-]*)", vendor)
    if not found:
        raise SystemExit("VENDOR.md does not say `Chart.js <version> (<licence>`")
    version, licence = found[1], found[2]
    content = CHART_JS.read_bytes()
    banner = re.search(rb"Chart\.js v(\d+\.\d+\.\d+)", content[:400])
    if not banner or banner[1].decode() != version:
        raise SystemExit(f"{CHART_JS.name} is not Chart.js {version} as VENDOR.md says")
    purl = f"pkg:npm/chart.js@{version}"
    return {
        "type": "library", "bom-ref": purl, "name": "chart.js", "version": version,
        "purl": purl, "licenses": [{"license": {"id": licence}}],
        "hashes": [{"alg": "SHA-256", "content": hashlib.sha256(content).hexdigest()}],
        "description": "Vendored as services/reporting/dashboard/chart.umd.min.js "
                       "(dist/chart.umd.min.js of the npm package), served by reporting",
    }


def cyclonedx_py(lock: Path) -> dict[str, Any]:
    """cyclonedx-py's BOM of the lock (root component from pyproject.toml)."""
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "bom.json"
        subprocess.run([sys.executable, "-m", "cyclonedx_py", "requirements", "--pyproject",
                        str(ROOT / "pyproject.toml"), "--of", "JSON", "--output-reproducible",
                        "--no-validate", "-o", str(output), str(lock)], check=True,
                       capture_output=True, timeout=120)
        bom: dict[str, Any] = json.loads(output.read_text("utf-8"))
        return bom


def complete(bom: dict[str, Any], lock: Path) -> dict[str, Any]:
    """purl bom-refs, a short description, the dependency graph, and Chart.js."""
    parents = locked_graph(lock)
    refs: dict[str, str] = {}
    for component in bom["components"]:
        name = canonical(component["name"])
        ref = component.get("purl") or f"pkg:pypi/{name}@{component['version']}"
        refs[component["bom-ref"]] = ref
        component["bom-ref"] = ref
        component["description"] = f"Python package pinned with hashes in {lock.name}"
    by_name = {canonical(c["name"]): c["bom-ref"] for c in bom["components"]}
    chart = chart_js_component()
    bom["components"].append(chart)
    children: dict[str, list[str]] = {ref: [] for ref in by_name.values()}
    children[ROOT_REF] = [chart["bom-ref"]]
    for name, required_by in parents.items():
        for parent in required_by:
            key = ROOT_REF if parent == "polku" else by_name.get(parent)
            if key is not None and name in by_name:
                children[key].append(by_name[name])
    bom["dependencies"] = [{"ref": ref, "dependsOn": sorted(set(deps))}
                           for ref, deps in sorted(children.items())]
    bom["dependencies"].append({"ref": chart["bom-ref"], "dependsOn": []})
    return bom


def validate(bom: dict[str, Any]) -> None:
    """Stop with the first schema error of the finished BOM."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(bom))
    if error is not None:
        raise SystemExit(f"sbom: not a valid CycloneDX 1.6 document: {error}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="CycloneDX SBOM of the production image.")
    parser.add_argument("--lock", type=Path, default=RUNTIME_LOCK)
    parser.add_argument("--output", type=Path, default=ROOT / "build" / "sbom.cdx.json")
    args = parser.parse_args(argv)
    bom = complete(cyclonedx_py(args.lock), args.lock)
    validate(bom)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(bom, indent=2, sort_keys=True) + "\n", "utf-8")
    python = len(bom["components"]) - 1
    print(f"sbom: {args.output} ({python} Python packages of {args.lock.name}, and chart.js)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
