"""Client experience: NPS and the feedback shares."""

from __future__ import annotations

from typing import Any

from services.reporting.indicators import stats
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
