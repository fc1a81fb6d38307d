"""Compute one indicator: validate the request, count items, aggregate them into rows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import asyncpg

from services.reporting.indicators.catalogue import CATALOGUE, Indicator
from services.reporting.indicators.cells import aggregate_cells, fetch_cells
from services.reporting.indicators.disclosure import DisclosureControl
from services.reporting.indicators.organisations import OrgLookup
from services.reporting.indicators.query import Query
from services.reporting.indicators.rows import UnknownGroupBy, UnknownIndicator, aggregate
from services.runtime.settings import ServiceSettings

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
    disclosure: DisclosureControl | None = None,
    reference: bool = False,
) -> IndicatorResult:
    """The indicator's rows for the period as the facts were at recorded time `as_of`.

    `disclosure` perturbs the published counts (INDICATORS.md, disclosure control); None
    takes the configured POLKU_PERTURBATION_KEY. Only internal comparisons of exact rows
    pass `DisclosureControl.exact()`.

    An indicator with `cells` is aggregated in SQL (cells.py); `reference` computes it from
    its counted items instead, the definition the SQL must reproduce (tests compare both).
    """
    spec = indicator(indicator_id)
    if disclosure is None:
        disclosure = configured_disclosure(ServiceSettings())
    keys = row_keys(spec, group_by)
    if threshold < MIN_THRESHOLD:
        raise ValueError(f"suppression threshold must be at least {MIN_THRESHOLD}, got {threshold}")
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    q = Query(conn, date_from, date_to, as_of, orgs, keys)
    if spec.cells is not None and spec.cell_reducer is not None and not reference:
        cells = await fetch_cells(conn, spec.cells(q), keys, as_of=as_of, date_from=date_from,
                                  date_to=date_to, perturb=disclosure.perturbs)
        rows = aggregate_cells(
            cells, keys=keys, reducer=spec.cell_reducer, extras=spec.extras,
            n_mode=spec.n_mode, threshold=threshold, suppress=spec.suppress,
            empty=spec.empty_row, disclosure=disclosure,
        )
    else:
        # Each indicator loads the home regions of the clients it counts (Query.load_regions).
        items = await spec.items(q)
        rows = aggregate(
            items, keys=keys, reducer=spec.reducer, extras=spec.extras, n_mode=spec.n_mode,
            threshold=threshold, suppress=spec.suppress, empty=spec.empty_row, context=q,
            disclosure=disclosure,
        )
    return {
        "indicator": spec.id, "from": date_from.isoformat(), "to": date_to.isoformat(),
        "as_of": as_of.isoformat(),
        "disclosure_control": disclosure.describe(threshold=threshold, suppress=spec.suppress),
        "rows": rows,
    }


def configured_disclosure(settings: ServiceSettings) -> DisclosureControl:
    """The disclosure control every published figure goes through: the configured key."""
    return DisclosureControl.cell_key_method(settings.polku_perturbation_key.get_secret_value())
