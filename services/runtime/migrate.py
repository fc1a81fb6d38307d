"""Versioned SQL migrations: numbered `NNN_name.sql` files in a package's `migrations/` folder.

Each service database applies the shared runtime migrations (event store, relay checkpoint,
consumer bookkeeping, idempotency) and then its own. Applied versions are recorded per
package in `schema_migrations`, under an advisory lock so that concurrent starts are safe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import asyncpg

_FILE = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
_LOCK_KEY = 0x706F6C6B75  # "polku"


@dataclass(frozen=True)
class Migration:
    package: str
    version: int
    name: str
    sql: str


def discover(package: str) -> list[Migration]:
    """The migrations shipped in `<package>.migrations`, in version order."""
    folder = resources.files(package).joinpath("migrations")
    found = []
    for entry in folder.iterdir():
        match = _FILE.match(entry.name)
        if match:
            found.append(Migration(package, int(match[1]), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    return found


async def apply_migrations(conn: asyncpg.Connection, *packages: str) -> list[str]:
    """Apply every pending migration of `packages` (in the order given); returns what ran."""
    applied: list[str] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   package text NOT NULL, version int NOT NULL, name text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now(),
                   PRIMARY KEY (package, version))"""
        )
        for package in packages:
            done = {
                r["version"]
                for r in await conn.fetch(
                    "SELECT version FROM schema_migrations WHERE package = $1", package
                )
            }
            for migration in discover(package):
                if migration.version in done:
                    continue
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (package, version, name) VALUES ($1, $2, $3)",
                    package, migration.version, migration.name,
                )
                applied.append(f"{package}:{migration.name}")
    return applied
