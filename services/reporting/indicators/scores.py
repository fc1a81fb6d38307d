"""Clients with a work ability score, and the mean of each client's latest score in a row."""

from __future__ import annotations

from typing import Any

from services.reporting.indicators import stats
from services.reporting.indicators.cells import (
    CLIENTS,
    ITEMS,
    CellGroup,
    CellSql,
    month_of,
    month_start,
    region_of,
)
from services.reporting.indicators.query import Query, month
from services.reporting.indicators.rows import Group, Item
from services.reporting.indicators.sources import Measurement, load_measurements


async def clients_scored(q: Query) -> list[Item]:
    scores = await load_measurements(q.conn, q.as_of, ("work_ability_score",),
                                     (q.date_from, q.date_to))
    await q.load_regions(m.client for m in scores)
    return [
        Item({"phase": m.phase, "region": q.region(m.client), "month": month(m.on)}, m.client, m)
        for m in scores
    ]


def scored(group: Group) -> dict[str, Any]:
    latest: dict[str | None, Measurement] = {}
    for item in group.items:
        current = latest.get(item.client)
        if current is None or item.data.stamp > current.stamp:
            latest[item.client] = item.data
    return {
        "value": group.clients(),
        "mean_score": stats.mean([m.score for m in latest.values() if m.score is not None]),
    }


# Aggregated in SQL (cells.py): the same selection and reducer as above, one row per cell.

_SCORED_KEYS = {"phase": "m.phase", "region": region_of("m"),
                "month": month_of("m.local_date")}


def clients_scored_cells(q: Query) -> CellSql:
    """Work ability scores dated in the period; `latest`: the client's latest in its row
    (by date, recorded time, then the first event id), read on the score from its
    successor (projections/stamps.py, LATER: of its phase when the row has one): latest
    when that is dated after the row's last day, not when it is dated by then and recorded
    by $1, else (rarely) probed. `items` keeps a row whose scores have no client, as the
    reference does."""
    by_phase = "phase" in q.group_by
    later_on, later_at = ("m.later_phase_on", "m.later_phase_recorded_at") if by_phase else (
        "m.later_on", "m.later_recorded_at")
    # The row's last day: the period's, or its month's when the row has one. Whether a
    # successor is dated after it compares first days of months on every item (date
    # arithmetic, exact), the probes (rare) read the last day itself.
    start = month_start("m.local_date")
    by_month = "month" in q.group_by
    last = f"least($3, ({start} + interval '1 month')::date - 1)" if by_month else "$3"
    after_last = (f"({later_on} > $3 OR {month_start(later_on)} > {start})" if by_month
                  else f"{later_on} > $3")
    phase = " AND x.phase IS NOT DISTINCT FROM m.phase" if by_phase else ""

    def none_later(client: str) -> str:
        return f"""NOT EXISTS (SELECT 1 FROM facts.measurements x
            WHERE {client} AND x.measure = m.measure{phase}
              AND x.local_date BETWEEN m.local_date AND {last} AND x.recorded_at <= $1
              AND ((x.local_date, x.recorded_at) > (m.local_date, m.recorded_at)
                   OR ((x.local_date, x.recorded_at) = (m.local_date, m.recorded_at)
                       AND x.event_id < m.event_id)))"""

    latest = f"""CASE WHEN m.client_id IS NULL THEN {none_later("x.client_id IS NULL")}
        WHEN coalesce({after_last}, true) THEN true WHEN {later_at} <= $1 THEN false
        ELSE {none_later("x.client_id = m.client_id")} END"""
    return CellSql(
        """facts.measurements m WHERE m.measure = $4 AND m.recorded_at <= $1
           AND m.local_date BETWEEN $2 AND $3""", _SCORED_KEYS,
        {"client_id": "m.client_id", "score": "m.score", "latest": latest},
        {"n": CLIENTS, "items": ITEMS},
        # The mean's exact sum and count, not every score (numerics decode slowly).
        {"score_sum": "sum(score) FILTER (WHERE latest)",
         "scores": "count(score) FILTER (WHERE latest)"},
        arguments=("work_ability_score",),
    )


def scored_cell(group: CellGroup) -> dict[str, Any]:
    return {"value": group.n(), "mean_score": stats.mean_of(group.aggregate("score_sum"),
                                                            group.aggregate("scores"))}
