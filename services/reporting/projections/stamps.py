"""What a closed case's client did around the case, as known at any `as_of`, kept on the
close.

Several indicators (INDICATORS.md) ask of every case closed in a period whether its client
has a fact of some kind dated in a window of the case, recorded by `as_of`:
`measurement_coverage` a score or self-assessment of the baseline and of the end,
`follow_up_coverage` one of the follow-up, `pathway_transitions` another case opened within
180 days of the close. Asked per case, each is an index probe into the client's facts for
each of the period's closes: the cost of a national year is the probes. Instead each close
whose case has one opening (its window is then fixed: the opening's date and client are
copied onto it, firsts.OPENED_BY) carries, per window, the earliest recorded time of such a
fact (null: none yet). "One exists in the window as of `as_of`" is then

    <stamp> <= as_of

on the close itself, for every `as_of`, past or present. A close of a case with several
openings (re-dated late records) carries none and is probed as before; so is a close whose
next case exists by `as_of`, for which of them is first then depends on `as_of`.

Likewise `work_ability_change`, `self_assessment_change` and `labour_market_outcome` pair
a client's latest end or follow-up measurement with the latest baseline dated on or before
it: each later measurement carries its latest baseline of all (`BASELINE`), read when that
was recorded by `as_of`.

The stamps are a function of the stamped row and the client's facts, recomputed for the
closes of every case and the rows of every client a batch touches (under one lock per
client, so a fact and a close of one client projected at once see each other), for the
whole tables after a rebuild, and by migration 013 for existing rows.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from services.reporting.projections.facts import ids_of

# The measures that are a score or a self-assessment (INDICATORS.md: `measurement_coverage`).
SCORES = ("work_ability_score", "self_assessment")
_SCORES = ", ".join(f"'{s}'" for s in SCORES)


def _measured(phase: str, dated: str) -> tuple[str, str]:
    return "measurements", (f"x.measure IN ({_SCORES}) AND x.phase = '{phase}'"
                            f" AND x.local_date {dated}")


# Stamp column → the client's fact table and which of its rows `x` count, in SQL over the
# close `e` (`e.local_date`: the close's date, `e.opened_on`: its opening's).
STAMPS: dict[str, tuple[str, str]] = {
    "measured_baseline_at": _measured("baseline", "BETWEEN e.opened_on - 30 AND e.local_date"),
    "measured_end_at": _measured("end", "BETWEEN e.opened_on AND e.local_date + 30"),
    "measured_follow_up_at": _measured("follow_up", "> e.local_date"),
    "next_opened_at": ("cases_opened", "x.case_id <> e.case_id"
                       " AND x.local_date BETWEEN e.local_date AND e.local_date + 180"),
}
# The fact tables whose rows a stamp reads: a batch holding one restamps its client's closes.
_READ = sorted({table for table, _ in STAMPS.values()})

# A later measurement (phase end or follow-up) and its baseline (work_ability_change,
# self_assessment_change, labour_market_outcome): the latest baseline of the client and
# measure with a value dated on or before it (by date, then recorded time, then the first
# event id) as known at `as_of`. Each later measurement carries the latest of all its
# baselines, whenever recorded: `baseline_recorded_at` and its value. Recorded by `as_of`,
# it is the latest as of `as_of` too (no baseline known then sorts after it); recorded
# later, the later measurement is probed as before; null: it has no baseline at all.
LATER_PHASES = ("end", "follow_up")
VALUE_OF = {"work_ability_score": "score", "self_assessment": "score",
            "labour_market_status": "status"}
BASELINE = ("baseline_recorded_at", "baseline_score", "baseline_status")


def _stamp(schema: str, where: str) -> str:
    """SQL: set the stamps of the closes `e` that `where` selects."""
    values = ", ".join(
        f"""CASE WHEN e.openings = 1 THEN (
            SELECT min(x.recorded_at) FROM {schema}.{table} x
            WHERE x.client_id = e.opened_client_id AND {rows}) END AS {name}"""
        for name, (table, rows) in STAMPS.items())
    mine, theirs = (", ".join(f"{alias}.{n}" for n in STAMPS) for alias in ("t", "s"))
    return f"""
        UPDATE {schema}.cases_closed t SET ({", ".join(STAMPS)}) = ({theirs})
        FROM (SELECT e.event_id, {values} FROM {schema}.cases_closed e WHERE {where}) s
        WHERE t.event_id = s.event_id AND ({mine}) IS DISTINCT FROM ({theirs})"""


def _baseline(schema: str, where: str) -> str:
    """SQL: set the baseline of the later measurements `l` that `where` selects."""
    valued = " ".join(f"WHEN '{measure}' THEN b.{value} IS NOT NULL"
                      for measure, value in VALUE_OF.items())
    later = ", ".join(f"'{phase}'" for phase in LATER_PHASES)
    mine, theirs = (", ".join(f"{alias}.{n}" for n in BASELINE) for alias in ("t", "s"))
    return f"""
        UPDATE {schema}.measurements t SET ({", ".join(BASELINE)}) = ({theirs})
        FROM (SELECT l.event_id, b.recorded_at AS baseline_recorded_at,
                     b.score AS baseline_score, b.status AS baseline_status
              FROM {schema}.measurements l LEFT JOIN LATERAL (
                  SELECT b.recorded_at, b.score, b.status FROM {schema}.measurements b
                  WHERE b.client_id = l.client_id AND b.measure = l.measure
                    AND b.phase = 'baseline' AND b.local_date <= l.local_date
                    AND CASE l.measure {valued} ELSE false END
                  ORDER BY b.local_date DESC, b.recorded_at DESC, b.event_id LIMIT 1) b ON true
              WHERE l.phase IN ({later}) AND {where}) s
        WHERE t.event_id = s.event_id AND ({mine}) IS DISTINCT FROM ({theirs})"""


# A referral's first assessment (days_to_assessment): the client's first `AssessmentStarted`
# dated on or after the referral, as known at `as_of`. Each referral carries the first of
# all, whenever recorded (`assessed_on`, and `assessed_recorded_at`: the earliest recorded
# time of one on that date). Recorded by `as_of`, it is the first as of `as_of` too;
# recorded later, the referral is probed as before; null: the client has none at all.
ASSESSED = ("assessed_on", "assessed_recorded_at")


def _assessed(schema: str, where: str) -> str:
    """SQL: set the first assessment of the referrals `r` that `where` selects."""
    mine, theirs = (", ".join(f"{alias}.{n}" for n in ASSESSED) for alias in ("t", "s"))
    return f"""
        UPDATE {schema}.referrals t SET ({", ".join(ASSESSED)}) = ({theirs})
        FROM (SELECT r.event_id, a.local_date AS assessed_on,
                     a.recorded_at AS assessed_recorded_at
              FROM {schema}.referrals r LEFT JOIN LATERAL (
                  SELECT a.local_date, a.recorded_at FROM {schema}.assessments_started a
                  WHERE a.client_id = r.client_id AND a.local_date >= r.local_date
                  ORDER BY a.local_date, a.recorded_at LIMIT 1) a ON true
              WHERE {where}) s
        WHERE t.event_id = s.event_id AND ({mine}) IS DISTINCT FROM ({theirs})"""


async def stamp(conn: asyncpg.Connection, rows: dict[str, list[tuple[Any, ...]]], *,
                schema: str) -> None:
    """Recompute the stamps of the closes of the cases whose opening or close was just
    copied and of the clients with a fact a stamp reads in it (in the caller's transaction,
    after the openings were copied onto the closes). One advisory lock per client, all taken
    at once in one order, after the per-id locks of firsts.mark (a writer holding a client's
    lock waits for no other lock than clients', so no two writers wait for each other)."""
    cases = sorted(ids_of(rows, "cases_opened", "case_id")
                   | ids_of(rows, "cases_closed", "case_id"))
    clients = {c for table in (*_READ, "referrals", "assessments_started")
               for c in ids_of(rows, table, "client_id")}
    if cases:
        clients |= {r[0] for r in await conn.fetch(
            f"SELECT DISTINCT opened_client_id FROM {schema}.cases_closed"
            " WHERE case_id = ANY($1::text[]) AND opened_client_id IS NOT NULL", cases)}
    if not cases and not clients:
        return
    await conn.execute(
        "SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(l, 0) h"
        " FROM unnest($1::text[]) l) l ORDER BY h",
        sorted(f"{schema}.stamps:{client}" for client in clients))
    selected = ("e.case_id = ANY($1::text[])"
                " OR (e.openings = 1 AND e.opened_client_id = ANY($2::text[]))")
    await conn.execute(_stamp(schema, selected), cases, sorted(clients))
    measured = sorted(ids_of(rows, "measurements", "client_id"))
    if measured:
        await conn.execute(_baseline(schema, "l.client_id = ANY($1::text[])"), measured)
    assessed = sorted(ids_of(rows, "referrals", "client_id")
                      | ids_of(rows, "assessments_started", "client_id"))
    if assessed:
        await conn.execute(_assessed(schema, "r.client_id = ANY($1::text[])"), assessed)


async def stamp_all(conn: asyncpg.Connection, *, schema: str) -> None:
    """Every close's stamps (after a rebuild filled `schema` and copied the openings)."""
    await conn.execute(_stamp(schema, "true"))
    await conn.execute(_baseline(schema, "true"))
    await conn.execute(_assessed(schema, "true"))


__all__ = ["ASSESSED", "BASELINE", "LATER_PHASES", "SCORES", "STAMPS", "VALUE_OF", "stamp",
           "stamp_all"]
