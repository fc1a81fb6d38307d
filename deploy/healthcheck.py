"""Container health check: GET /healthz of the `polku serve` process in this container.

Installed in the image as /opt/venv/bin/polku-healthcheck and run by the Dockerfile's
HEALTHCHECK (Kubernetes ignores HEALTHCHECK and uses the probes in deploy/k8s instead).
The port is POLKU_HTTP_PORT or the service's default, read from PID 1's command line, so one
image serves all four services. Containers that run a one-shot command (migrate, republish,
replay, dlq) have no HTTP server and report healthy. Standard library only.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence

DEFAULT_PORTS = {"referral": 8001, "assessment": 8002, "coaching": 8003, "reporting": 8004}
_WILDCARD_HOSTS = {"", "0.0.0.0", "::", "[::]"}


def served_service(cmdline: Sequence[str]) -> str | None:
    """The service named after `serve` on a command line, or None for one-shot commands."""
    args = list(cmdline)
    if "serve" not in args:
        return None
    position = args.index("serve")
    return args[position + 1] if position + 1 < len(args) else None


def healthz_url(service: str, env: Mapping[str, str]) -> str:
    port = env.get("POLKU_HTTP_PORT") or str(DEFAULT_PORTS[service])
    host = env.get("POLKU_HTTP_HOST", "")
    if host in _WILDCARD_HOSTS:
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}/healthz"


def check(cmdline: Sequence[str], env: Mapping[str, str], timeout: float = 3.0) -> int:
    """0 when healthy (or nothing to check), 1 otherwise; says why on stderr."""
    service = served_service(cmdline)
    if service is None:
        return 0
    if service not in DEFAULT_PORTS:
        print(f"unknown service {service!r} on the command line", file=sys.stderr)
        return 1
    url = healthz_url(service, env)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            if response.status == 200:
                return 0
            print(f"{url} answered {response.status}", file=sys.stderr)
    except urllib.error.HTTPError as error:
        print(f"{url} answered {error.code}", file=sys.stderr)
    except (urllib.error.URLError, OSError) as error:
        print(f"{url} unreachable: {error}", file=sys.stderr)
    return 1


def pid1_cmdline() -> list[str]:
    try:
        with open("/proc/1/cmdline", "rb") as handle:
            raw = handle.read()
    except OSError:
        return []
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


def main() -> int:
    return check(pid1_cmdline(), os.environ)


if __name__ == "__main__":
    sys.exit(main())
