"""Client experience: NPS and the feedback shares."""

from __future__ import annotations

from typing import Any

from services.reporting.indicators import stats
from services.reporting.indicators.cells import CellGroup, CellSql, Count, month_of, region_of
from services.reporting.indicators.query import Query, month
from services.reporting.indicators.rows import Group, Item


async def client_experience(q: Query) -> list[Item]:
    rows = await q.conn.fetch(
        """SELECT feedback_id, client_id, organisation_id, service, score, felt_heard, helped,
                  local_date
           FROM facts.feedback WHERE recorded_at <= $1 AND local_date BETWEEN $2 AND $3""",
        q.as_of, q.date_from, q.date_to,
    )
    await q.load_regions(r["client_id"] for r in rows)
    items = []
    for r in rows:
        client = r["client_id"]
        # Anonymous feedback has no client: its row region is the organisation's.
        region = q.region(client) if client else q.org_region(r["organisation_id"])
        keys = {
            "service": r["service"], "organisation": r["organisation_id"], "region": region,
            "month": month(r["local_date"]),
        }
        items.append(Item(keys, client, r, record=r["feedback_id"]))
    return items


def experience(group: Group) -> dict[str, Any]:
    # n counts records: every count here has the feedback records as units.
    items = group.items
    helped = [i for i in items if i.data["helped"] is not None]
    heard = [i for i in items if i.data["felt_heard"] is not None]
    return {
        "value": group.nps(group.count(i for i in items if i.data["score"] >= 9),
                           group.count(i for i in items if i.data["score"] <= 6),
                           group.count()),
        "mean_score": stats.mean([i.data["score"] for i in items]),
        "helped_share": group.proportion((i for i in helped if i.data["helped"]), helped),
        "felt_heard_share": group.proportion((i for i in heard if i.data["felt_heard"]), heard),
    }


# Aggregated in SQL (cells.py): the same selection and reducer as above, one row per cell.

# Anonymous feedback's region is its organisation's, from the registry: the statement
# selects the organisation's id behind this mark (region codes hold no space), resolved
# and merged after (CellSql.resolve).
_ORGANISATION = "org "


def experience_cells(q: Query) -> CellSql:
    """Feedback given in the period; every count is of feedback records."""
    keys = {
        "service": "f.service", "organisation": "f.organisation_id",
        "region": (f"CASE WHEN f.client_id IS NULL THEN '{_ORGANISATION}' || f.organisation_id"
                   f" ELSE {region_of('f')} END"),
        "month": month_of("f.local_date"),
    }
    columns = {"feedback_id": "f.feedback_id", "score": "f.score", "helped": "f.helped",
               "heard": "f.felt_heard", "shared": "f.shared"}

    def records(where: str | None = None) -> Count:
        return Count("count(*)", units="feedback_id", where=where, shared="shared")

    counts = {"n": records(), "items": records(), "promoters": records("score >= 9"),
              "detractors": records("score <= 6"), "helped": records("helped"),
              "helped_known": records("helped IS NOT NULL"), "heard": records("heard"),
              "heard_known": records("heard IS NOT NULL")}
    return CellSql(
        "facts.feedback f WHERE f.recorded_at <= $1 AND f.local_date BETWEEN $2 AND $3",
        keys, columns, counts, {"scores": "array_agg(score)"},
        resolve={"region": lambda value: _organisation_region(q, value)})


def _organisation_region(q: Query, value: str | None) -> str | None:
    if value is not None and value.startswith(_ORGANISATION):
        return q.org_region(value.removeprefix(_ORGANISATION))
    return value


def experience_cell(group: CellGroup) -> dict[str, Any]:
    return {
        "value": group.nps(group.count("promoters"), group.count("detractors"), group.count()),
        "mean_score": stats.mean(group.aggregate("scores")),
        "helped_share": group.proportion("helped", "helped_known"),
        "felt_heard_share": group.proportion("heard", "heard_known"),
    }
