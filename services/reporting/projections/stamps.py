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


# The client's next case after a close (pathway_transitions' `to_service`): the first opening
# row of another case of the client dated 0–180 days after the close (by date, recorded time,
# case id) among the rows that are their case's first as of `as_of` (firsts.FIRST_OF). Each
# close of a case with one opening carries the first such row of all, whenever recorded and
# first of its case or not: its service, recorded time and `superseded_at`. When that row is
# recorded by `as_of` and still its case's first then, it is the first as of `as_of` too
# (the rows that count then are some of all, and it sorts first of all); otherwise the close
# is probed as before. The row's `superseded_at` changes only with a row of its case, which
# is its client's: that batch restamps the client's closes.
NEXT = ("next_service", "next_recorded_at", "next_superseded_at")


def _stamp(schema: str, where: str) -> str:
    """SQL: set the stamps and the next case of the closes `e` that `where` selects."""
    values = ", ".join(
        f"""CASE WHEN e.openings = 1 THEN (
            SELECT min(x.recorded_at) FROM {schema}.{table} x
            WHERE x.client_id = e.opened_client_id AND {rows}) END AS {name}"""
        for name, (table, rows) in STAMPS.items())
    columns = (*STAMPS, *NEXT)
    mine, theirs = (", ".join(f"{alias}.{n}" for n in columns) for alias in ("t", "s"))
    return f"""
        UPDATE {schema}.cases_closed t SET ({", ".join(columns)}) = ({theirs})
        FROM (SELECT e.event_id, {values}, n.service AS next_service,
                     n.recorded_at AS next_recorded_at, n.superseded_at AS next_superseded_at
              FROM {schema}.cases_closed e LEFT JOIN LATERAL (
                  SELECT x.service, x.recorded_at, x.superseded_at FROM {schema}.cases_opened x
                  WHERE e.openings = 1 AND x.client_id = e.opened_client_id
                    AND {STAMPS["next_opened_at"][1]}
                  ORDER BY x.local_date, x.recorded_at, x.case_id, x.event_id LIMIT 1) n ON true
              WHERE {where}) s
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


# A measurement's successor (clients_scored: each client's latest score in its row): the
# next measurement of the client and measure in the order of "latest" (date, recorded time,
# then the first event id last), of any phase (`later_*`) and of its phase
# (`later_phase_*`): its date and recorded time. Every measurement that follows in that
# order is dated on or after the successor, so a measurement is its client's latest in a
# row of dates up to some day, as of `as_of`, when its successor is dated after that day,
# and is not when its successor is dated by then and recorded by `as_of`; only otherwise
# is it probed (projections need no lock beyond the client's: the successors are the
# client's own rows).
LATER = ("later_on", "later_recorded_at", "later_phase_on", "later_phase_recorded_at")


def _later(schema: str, where: str) -> str:
    """SQL: set the successors of the measurements of the clients `where` selects (over the
    table, no alias), all of a client's at once."""
    order = "ORDER BY local_date, recorded_at, event_id DESC"
    mine, theirs = (", ".join(f"{alias}.{n}" for n in LATER) for alias in ("t", "s"))
    return f"""
        UPDATE {schema}.measurements t SET ({", ".join(LATER)}) = ({theirs})
        FROM (SELECT event_id, lead(local_date) OVER w AS later_on,
                     lead(recorded_at) OVER w AS later_recorded_at,
                     lead(local_date) OVER p AS later_phase_on,
                     lead(recorded_at) OVER p AS later_phase_recorded_at
              FROM {schema}.measurements WHERE client_id IS NOT NULL AND {where}
              WINDOW w AS (PARTITION BY client_id, measure {order}),
                     p AS (PARTITION BY client_id, measure, phase {order})) s
        WHERE t.event_id = s.event_id AND ({mine}) IS DISTINCT FROM ({theirs})"""


# A started assessment's earlier ones (repeat_assessments: the latest earlier assessment of
# the client and kind dated 0–180 days before it, not cancelled at `as_of`): each carries
# the earliest recorded time of any such one, cancelled or not (null: none). None recorded
# by `as_of`, it is no repeat then, without a look for one.
PRIOR = "prior_recorded_at"


def _prior(schema: str, where: str) -> str:
    """SQL: set the earlier ones' stamp of the started assessments `a` that `where` selects."""
    return f"""
        UPDATE {schema}.assessments_started t SET {PRIOR} = s.prior
        FROM (SELECT a.event_id, (
                  SELECT min(o.recorded_at) FROM {schema}.assessments_started o
                  WHERE o.client_id = a.client_id AND o.kind = a.kind
                    AND o.assessment_id <> a.assessment_id
                    AND o.local_date BETWEEN a.local_date - 180 AND a.local_date
                    AND (o.local_date, o.recorded_at) < (a.local_date, a.recorded_at)) AS prior
              FROM {schema}.assessments_started a WHERE {where}) s
        WHERE t.event_id = s.event_id AND t.{PRIOR} IS DISTINCT FROM s.prior"""


# A case's first support plan and its referral (support_plan_coverage, days_to_support_plan:
# the earliest date of an agreed `SupportPlanAgreed` of the case, and of the `ReferralMade`
# the case names, as of `as_of`). Each opening row carries the earliest date of all, and the
# earliest recorded time of one on that date: recorded by `as_of`, that date is the
# earliest as of `as_of` too; recorded later, the case is probed as before; null: none at
# all. The plans and the referral of a case are its client's (the client's lock).
PLANNED = ("planned_on", "planned_recorded_at", "referred_on", "referred_recorded_at")


def _planned(schema: str, where: str) -> str:
    """SQL: set the first plan and referral of the case openings `o` that `where` selects."""
    mine, theirs = (", ".join(f"{alias}.{n}" for n in PLANNED) for alias in ("t", "s"))
    return f"""
        UPDATE {schema}.cases_opened t SET ({", ".join(PLANNED)}) = ({theirs})
        FROM (SELECT o.event_id, p.local_date AS planned_on, p.recorded_at AS planned_recorded_at,
                     r.local_date AS referred_on, r.recorded_at AS referred_recorded_at
              FROM {schema}.cases_opened o LEFT JOIN LATERAL (
                  SELECT p.local_date, p.recorded_at FROM {schema}.support_plans p
                  WHERE p.case_id = o.case_id AND p.change = 'agreed'
                  ORDER BY p.local_date, p.recorded_at LIMIT 1) p ON true
              LEFT JOIN LATERAL (
                  SELECT r.local_date, r.recorded_at FROM {schema}.referrals r
                  WHERE r.referral_id = o.referral_id
                  ORDER BY r.local_date, r.recorded_at LIMIT 1) r ON true
              WHERE {where}) s
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


# The home region of a row's client (every indicator's `group_by=region`): the client's
# registration holding at `as_of` (firsts.LATEST_OF). Each row of the tables indicators
# count clients in carries how many registrations its client has and, with exactly one,
# its region and recorded time: the region as of `as_of` is then read on the row (`region
# _of` in indicators/cells.py), where it was a join of the counted rows to every client
# registered. A client with several (a move) is looked up as before. Table → its client
# column (an end's is its opening's, firsts.OPENED_BY) and, for an end, its id.
REGIONED: dict[str, tuple[str, str | None]] = {
    "referrals": ("client_id", None), "referral_decisions": ("opened_client_id", "referral_id"),
    "cases_opened": ("client_id", None), "cases_closed": ("opened_client_id", "case_id"),
    "assessments_started": ("client_id", None), "assessments_completed": ("client_id", None),
    "health_checks": ("client_id", None), "engagements_started": ("client_id", None),
    "placements_started": ("client_id", None), "measurements": ("client_id", None),
    "feedback": ("client_id", None),
}
REGION = ("client_registrations", "client_region", "client_registered_at")


def _region(schema: str, table: str, where: str) -> str:
    """SQL: set the client's registrations of the rows `x` of `table` that `where` selects."""
    client = REGIONED[table][0]
    mine, theirs = (", ".join(f"{alias}.{n}" for n in REGION) for alias in ("t", "s"))
    return f"""
        UPDATE {schema}.{table} t SET ({", ".join(REGION)}) = ({theirs})
        FROM (SELECT x.event_id, g.n AS client_registrations,
                     CASE WHEN g.n = 1 THEN g.region END AS client_region,
                     CASE WHEN g.n = 1 THEN g.at END AS client_registered_at
              FROM {schema}.{table} x CROSS JOIN LATERAL (
                  SELECT count(*) AS n, min(c.home_region) AS region, min(c.recorded_at) AS at
                  FROM {schema}.clients c WHERE c.client_id = x.{client}) g
              WHERE {where}) s
        WHERE t.event_id = s.event_id AND ({mine}) IS DISTINCT FROM ({theirs})"""


# The clients' locks: a bucket of clients each (a batch of ten thousand events then takes
# at most this many, whatever its clients: advisory locks share the server's lock table),
# in a key space of their own per schema (the two-int keys never meet firsts.mark's).
_LOCK_BUCKETS = 1024
_LOCK_SPACES = {"facts": 0x5354_0001, "facts_next": 0x5354_0002}


async def stamp(conn: asyncpg.Connection, rows: dict[str, list[tuple[Any, ...]]], *,
                schema: str) -> None:
    """Recompute the stamps of the closes of the cases whose opening or close was just
    copied and of the clients with a fact a stamp reads in it (in the caller's transaction,
    after the openings were copied onto the closes). One advisory lock per bucket of clients,
    all taken at once in one order, after the per-id locks of firsts.mark (a writer holding
    a bucket's lock waits for no other lock than buckets', so no two writers wait for each
    other), and the facts' buckets before the shadow's."""
    cases = sorted(ids_of(rows, "cases_opened", "case_id")
                   | ids_of(rows, "cases_closed", "case_id"))
    referrals = sorted(ids_of(rows, "referrals", "referral_id")
                       | ids_of(rows, "referral_decisions", "referral_id"))
    # The ends whose ids were just copied (an opening or an end), and their clients.
    ends = {"cases_closed": cases, "referral_decisions": referrals}
    clients = {c for table in ("clients", "support_plans", *REGIONED)
               for c in ids_of(rows, table, "client_id")}
    for table, ids in ends.items():
        if ids:
            clients |= {r[0] for r in await conn.fetch(
                f"SELECT DISTINCT opened_client_id FROM {schema}.{table}"
                f" WHERE {REGIONED[table][1]} = ANY($1::text[])"
                " AND opened_client_id IS NOT NULL", ids)}
    if not cases and not clients:
        return
    await conn.execute(
        "SELECT pg_advisory_xact_lock($2::int, b) FROM (SELECT DISTINCT hashtext(l) & $3 b"
        " FROM unnest($1::text[]) l) l ORDER BY b",
        sorted(clients), _LOCK_SPACES[schema], _LOCK_BUCKETS - 1)
    # The closes of the cases just copied, and of the clients with a fact they read.
    readers = {c for table in _READ for c in ids_of(rows, table, "client_id")}
    selected = ("e.case_id = ANY($1::text[])"
                " OR (e.openings = 1 AND e.opened_client_id = ANY($2::text[]))")
    await conn.execute(_stamp(schema, selected), cases, sorted(readers))
    measured = sorted(ids_of(rows, "measurements", "client_id"))
    if measured:
        await conn.execute(_baseline(schema, "l.client_id = ANY($1::text[])"), measured)
        await conn.execute(_later(schema, "client_id = ANY($1::text[])"), measured)
    planned = sorted(ids_of(rows, "cases_opened", "case_id")
                     | ids_of(rows, "support_plans", "case_id"))
    referred = sorted(ids_of(rows, "referrals", "referral_id"))
    if planned or referred:
        await conn.execute(_planned(schema, "o.case_id = ANY($1::text[])"
                                            " OR o.referral_id = ANY($2::text[])"),
                           planned, referred)
    started = sorted(ids_of(rows, "assessments_started", "client_id"))
    if started:
        await conn.execute(_prior(schema, "a.client_id = ANY($1::text[])"), started)
    assessed = sorted(ids_of(rows, "referrals", "client_id")
                      | ids_of(rows, "assessments_started", "client_id"))
    if assessed:
        await conn.execute(_assessed(schema, "r.client_id = ANY($1::text[])"), assessed)
    # The rows just copied, every row of a client just registered, and the ends whose
    # opening (so whose client) was just copied onto them.
    registered = sorted(ids_of(rows, "clients", "client_id"))
    for table, (client, key) in REGIONED.items():
        new = [r[0] for r in rows.get(table, ())]
        if not new and not registered and not ends.get(table):
            continue
        where = f"x.event_id = ANY($1::uuid[]) OR x.{client} = ANY($2::text[])"
        if key is not None:  # an end has its opening's client only with one opening
            where = (f"x.event_id = ANY($1::uuid[]) OR (x.openings = 1 AND x.{client} ="
                     f" ANY($2::text[])) OR x.{key} = ANY($3::text[])")
        await conn.execute(_region(schema, table, where), new, registered,
                           *([ends[table]] if key is not None else []))


async def stamp_all(conn: asyncpg.Connection, *, schema: str) -> None:
    """Every close's stamps (after a rebuild filled `schema` and copied the openings)."""
    await conn.execute(_stamp(schema, "true"))
    await conn.execute(_baseline(schema, "true"))
    await conn.execute(_later(schema, "true"))
    await conn.execute(_prior(schema, "true"))
    await conn.execute(_planned(schema, "true"))
    await conn.execute(_assessed(schema, "true"))
    for table in REGIONED:
        await conn.execute(_region(schema, table, "true"))


__all__ = ["ASSESSED", "BASELINE", "LATER", "LATER_PHASES", "NEXT", "PLANNED", "PRIOR",
           "REGION", "REGIONED", "SCORES", "STAMPS", "VALUE_OF", "stamp", "stamp_all"]
