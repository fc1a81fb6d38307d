"""Compute one indicator: validate the request, count items, aggregate them into rows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import asyncpg

from services.reporting.indicators.catalogue import CATALOGUE, Indicator
from services.reporting.indicators.organisations import OrgLookup
from services.reporting.indicators.query import Query, load_client_regions
from services.reporting.indicators.rows import UnknownGroupBy, UnknownIndicator, aggregate

MIN_THRESHOLD = 3
IndicatorResult = dict[str, Any]


def indicator(indicator_id: str) -> Indicator:
    try:
        return CATALOGUE[indicator_id]
    except KeyError:
        raise UnknownIndicator(indicator_id) from None


def row_keys(spec: Indicator, group_by: list[str]) -> list[str]:
    """Validated row keys: the always-grouped keys, then the requested ones, no repeats."""
    unknown = [key for key in group_by if key not in spec.group_by]
    if unknown:
        raise UnknownGroupBy(spec.id, unknown, spec.group_by)
    return list(dict.fromkeys([*spec.always, *group_by]))


async def compute(
    conn: asyncpg.Connection,
    indicator_id: str,
    *,
    date_from: date,
    date_to: date,
    group_by: list[str],
    as_of: datetime,
    threshold: int = 5,
    orgs: OrgLookup,
) -> IndicatorResult:
    """The indicator's rows for the period as the facts were at recorded time `as_of`."""
    spec = indicator(indicator_id)
    keys = row_keys(spec, group_by)
    if threshold < MIN_THRESHOLD:
        raise ValueError(f"suppression threshold must be at least {MIN_THRESHOLD}, got {threshold}")
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    q = Query(conn, date_from, date_to, as_of, orgs, keys)
    if "region" in keys:
        q.regions = await load_client_regions(conn, as_of)
    items = await spec.items(q)
    rows = aggregate(
        items, keys=keys, reducer=spec.reducer, extras=spec.extras, n_mode=spec.n_mode,
        threshold=threshold, suppress=spec.suppress, empty=spec.empty_row, context=q,
    )
    return {
        "indicator": spec.id, "from": date_from.isoformat(), "to": date_to.isoformat(),
        "as_of": as_of.isoformat(), "rows": rows,
    }
