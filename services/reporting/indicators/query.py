"""What one indicator request asks: period, as-of, grouping, and the lookups rows share."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import asyncpg

from services.reporting.indicators.organisations import OrgLookup
from services.reporting.projections.projector import local_date
from services.runtime.errors import ValidationFailed

T = TypeVar("T")


def requested_period(date_from: date | None, date_to: date | None) -> tuple[date, date]:
    """The period a request asks for: `from` and `to`, each defaulting to the last full
    calendar year (Finnish time); `from` after `to` is a 422 naming `from`."""
    year = local_date(datetime.now(UTC)).year - 1
    start, end = date_from or date(year, 1, 1), date_to or date(year, 12, 31)
    if start > end:
        raise ValidationFailed("from", f"must be on or before to ({end.isoformat()})")
    return start, end


@dataclass
class Query:
    conn: asyncpg.Connection
    date_from: date
    date_to: date
    as_of: datetime
    orgs: OrgLookup
    group_by: list[str]
    regions: dict[str, str | None] = field(default_factory=dict)

    @property
    def as_of_date(self) -> date:
        return local_date(self.as_of)

    def in_period(self, day: date | None) -> bool:
        return day is not None and self.date_from <= day <= self.date_to

    def region(self, client: str | None) -> str | None:
        """The client's home region as registered at `as_of` (null when not registered):
        `load_regions` must have loaded the client's (it does when `region` is a row key)."""
        return self.regions.get(client) if client else None

    async def load_regions(self, clients: Iterable[str | None]) -> None:
        """The home regions of `clients` (those the query counts), when rows group by region."""
        if "region" not in self.group_by:
            return
        wanted = {c for c in clients if c and c not in self.regions}
        if wanted:
            self.regions.update(await load_client_regions(self.conn, self.as_of, wanted))

    def keyer(self, values: dict[str, Callable[[T], Any]]) -> Callable[[T], dict[str, Any]]:
        """A counted thing's values of the row keys only (all that `aggregate` reads of an
        item's keys), so a value no row groups by is never computed."""
        wanted = [(key, value) for key, value in values.items() if key in self.group_by]
        return lambda thing: {key: value(thing) for key, value in wanted}

    def org_region(self, org: str | None) -> str | None:
        return self.orgs.region_of(org)


def month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


async def load_client_regions(
    conn: asyncpg.Connection, as_of: datetime, clients: Iterable[str] | None = None
) -> dict[str, str | None]:
    """Home regions as registered at `as_of`: of `clients`, or (None) of every client."""
    if clients is None:
        rows = await conn.fetch(
            """SELECT DISTINCT ON (client_id) client_id, home_region FROM facts.clients
               WHERE recorded_at <= $1 ORDER BY client_id, recorded_at DESC, event_id""",
            as_of,
        )
    else:
        rows = await conn.fetch(
            """SELECT DISTINCT ON (client_id) client_id, home_region FROM facts.clients
               WHERE client_id = ANY($2::text[]) AND recorded_at <= $1
               ORDER BY client_id, recorded_at DESC, event_id""",
            as_of, sorted(clients),
        )
    return {r["client_id"]: r["home_region"] for r in rows}
