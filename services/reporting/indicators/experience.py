"""Client experience: NPS and the feedback shares."""

from __future__ import annotations

from typing import Any

from services.reporting.indicators import stats
from services.reporting.indicators.query import Query, month
from services.reporting.indicators.rows import Group, Item


async def client_experience(q: Query) -> list[Item]:
    rows = await q.conn.fetch(
        """SELECT client_id, organisation_id, service, score, felt_heard, helped, local_date
           FROM facts.feedback WHERE recorded_at <= $1 AND local_date BETWEEN $2 AND $3""",
        q.as_of, q.date_from, q.date_to,
    )
    items = []
    for r in rows:
        client = r["client_id"]
        # Anonymous feedback has no client: its row region is the organisation's.
        region = q.region(client) if client else q.org_region(r["organisation_id"])
        keys = {
            "service": r["service"], "organisation": r["organisation_id"], "region": region,
            "month": month(r["local_date"]),
        }
        items.append(Item(keys, client, r))
    return items


def experience(group: Group) -> dict[str, Any]:
    answers = [i.data for i in group.items]
    helped = [a["helped"] for a in answers if a["helped"] is not None]
    heard = [a["felt_heard"] for a in answers if a["felt_heard"] is not None]
    scores = [a["score"] for a in answers]
    return {
        "value": stats.nps(scores), "mean_score": stats.mean(scores),
        "helped_share": stats.share(helped), "felt_heard_share": stats.share(heard),
    }
