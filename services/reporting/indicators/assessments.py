"""Assessment indicators: completions, health checks, repeated assessments, consultations."""

from __future__ import annotations

from typing import Any

from services.reporting.indicators import stats
from services.reporting.indicators.query import Query, month
from services.reporting.indicators.rows import Group, Item
from services.reporting.indicators.sources import Assessment, by_client, load_assessments


def count(group: Group) -> dict[str, Any]:
    return {"value": len(group.items)}


async def assessments_completed(q: Query) -> list[Item]:
    rows = await q.conn.fetch(
        """SELECT c.client_id, c.conclusion, c.benefit_recommendation, c.local_date,
                  (SELECT s.kind FROM facts.assessments_started s
                   WHERE s.assessment_id = c.assessment_id AND s.recorded_at <= $1
                   ORDER BY s.local_date, s.recorded_at LIMIT 1) AS kind
           FROM facts.assessments_completed c
           WHERE c.recorded_at <= $1 AND c.local_date BETWEEN $2 AND $3""",
        q.as_of, q.date_from, q.date_to,
    )
    return [
        Item({
            "kind": r["kind"], "conclusion": r["conclusion"],
            "benefit_recommendation": r["benefit_recommendation"],
            "region": q.region(r["client_id"]), "month": month(r["local_date"]),
        }, r["client_id"])
        for r in rows
    ]


async def health_checks(q: Query) -> list[Item]:
    rows = await q.conn.fetch(
        """SELECT client_id, organisation_id, local_date FROM facts.health_checks
           WHERE recorded_at <= $1 AND local_date BETWEEN $2 AND $3""",
        q.as_of, q.date_from, q.date_to,
    )
    return [
        Item({
            "organisation": r["organisation_id"], "region": q.region(r["client_id"]),
            "month": month(r["local_date"]),
        }, r["client_id"])
        for r in rows
    ]


def _earlier(assessment: Assessment, own: list[Assessment]) -> Assessment | None:
    """The latest other same-kind, not cancelled assessment 0–180 days before this one."""
    found = None
    for other in own:
        if (
            other.assessment_id != assessment.assessment_id
            and other.kind == assessment.kind
            and not other.cancelled
            and other.stamp < assessment.stamp
            and (assessment.started - other.started).days <= 180
            and (found is None or other.stamp > found.stamp)
        ):
            found = other
    return found


async def repeat_assessments(q: Query) -> list[Item]:
    started = await load_assessments(q.conn, q.as_of)
    of_client = by_client(started)
    items = []
    for a in started:
        if not q.in_period(a.started):
            continue
        earlier = _earlier(a, of_client[a.client])
        keys = {
            "kind": a.kind, "organisation": a.organisation, "region": q.region(a.client),
            "month": month(a.started),
        }
        repeat = None if earlier is None else earlier.organisation != a.organisation
        items.append(Item(keys, a.client, repeat))
    return items


def repeats(group: Group) -> dict[str, Any]:
    # data: None when not a repeat, else whether the earlier one was another organisation's.
    flags = [i.data for i in group.items if i.data is not None]
    return {
        "value": len(flags),
        "share": stats.round3(stats.ratio(len(flags), len(group.items))),
        "other_org_share": stats.share(flags),
    }


async def consultations(q: Query) -> list[Item]:
    rows = await q.conn.fetch(
        """SELECT client_id, requesting_organisation_id, requesting_org_kind, consultant_role,
                  topic, local_date FROM facts.consultations
           WHERE recorded_at <= $1 AND local_date BETWEEN $2 AND $3""",
        q.as_of, q.date_from, q.date_to,
    )
    return [
        Item({
            "requesting_org_kind": r["requesting_org_kind"],
            "consultant_role": r["consultant_role"], "topic": r["topic"],
            # Always the requesting organisation's region, even when a client is named.
            "region": q.org_region(r["requesting_organisation_id"]),
            "month": month(r["local_date"]),
        }, r["client_id"])
        for r in rows
    ]
