"""Read-your-writes across services: the consistency token (API.md, `Polku-Consistency`).

Every command's outcome names the events it appended: `<service>:<id>.<id>…`, the ids in
hex; tokens of several responses are joined with commas. A service that consumes a named
service's topic waits, up to a bound, until each of its consumers of that topic has taken
the named events in (processed them, or passed them as not its business: both are recorded),
then answers as if it had known them all along; past the bound it answers 503 with
Retry-After. Parts naming services it does not consume are ignored. The token is opaque to
clients: they send back what they got.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from uuid import UUID

HEADER = "Polku-Consistency"
_PART = re.compile(r"([a-z]+):([0-9a-f]{32}(?:\.[0-9a-f]{32})*)")
# Seen: which of these event ids a consumer has taken in (on one connection or pool).
Seen = Callable[[list[UUID]], Awaitable[set[UUID]]]


def token_for(service: str, event_ids: Iterable[UUID]) -> str | None:
    ids = [i.hex for i in event_ids]
    return f"{service}:{'.'.join(ids)}" if ids else None


def join(tokens: Iterable[str | None]) -> str | None:
    parts = [t for t in tokens if t]
    return ",".join(parts) if parts else None


def parse(value: str) -> dict[str, set[UUID]]:
    """The event ids per service; ValueError (naming the header) on anything malformed."""
    named: dict[str, set[UUID]] = {}
    for part in (p.strip() for p in value.split(",")):
        match = _PART.fullmatch(part)
        if match is None or len(value) > 64 * 1024:
            raise ValueError(f"{HEADER} must be the token a Polku response gave (or several "
                             "joined with commas)")
        named.setdefault(match.group(1), set()).update(
            UUID(hex=h) for h in match.group(2).split("."))
    return named


async def wait_until_seen(
    wanted: Mapping[str, set[UUID]], seen_by: Mapping[str, list[Seen]], *, timeout: float,
    poll: float = 0.02,
) -> bool:
    """Whether, within `timeout` seconds, every consumer of each named service has seen the
    named events (services this one does not consume are ignored)."""
    deadline = time.monotonic() + timeout
    pending = [(set(ids), check) for service, ids in wanted.items()
               for check in seen_by.get(service, ())]
    while pending:
        still = []
        for ids, check in pending:
            missing = ids - await check(sorted(ids))
            if missing:
                still.append((missing, check))
        pending = still
        if not pending:
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(poll)
    return True
