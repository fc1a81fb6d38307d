"""axe-core for the browser tests: the npm package's `axe.min.js`, fetched once with `npm pack`
into a cache under `.polku/cache/`, checked against its pinned sha512 integrity (the npm
registry's `dist.integrity`) every time it is read, and run in the page through Selenium."""

from __future__ import annotations

import base64
import hashlib
import io
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest

VERSION = "4.14.1"
INTEGRITY = ("sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe"
             "37OgudVGtQ==")
CACHE = Path(__file__).resolve().parents[3] / ".polku" / "cache" / "axe-core"
BLOCKING = ("serious", "critical")

RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ["violations"] })
  .then((r) => done(r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) }))))
  .catch((e) => done({ error: String(e) }));
"""


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def axe_source() -> str:
    """axe.min.js of the pinned version; fails (never skips) when it cannot be had intact."""
    tarball = CACHE / f"axe-core-{VERSION}.tgz"
    if not tarball.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["npm", "pack", f"axe-core@{VERSION}", "--silent", "--pack-destination", str(CACHE)],
            capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0 or not tarball.exists():
            pytest.fail(f"could not fetch axe-core {VERSION} with npm pack: {done.stderr}",
                        pytrace=False)
    data = tarball.read_bytes()
    if _integrity(data) != INTEGRITY:
        tarball.unlink()
        pytest.fail(f"axe-core {VERSION}: the tarball's sha512 is not the pinned integrity",
                    pytrace=False)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        member = archive.extractfile("package/axe.min.js")
        assert member is not None
        return member.read().decode("utf-8")


def violations(driver: Any, source: str) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now, every impact."""
    if not driver.execute_script("return typeof window.axe === 'object'"):
        driver.execute_script(source)
    found: Any = driver.execute_async_script(RUN)
    assert isinstance(found, list), found
    return found


def blocking(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in found if v["impact"] in BLOCKING]
