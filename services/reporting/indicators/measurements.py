"""Measurement indicators: changes from baseline, coverage of baseline/end/follow-up."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from services.reporting.indicators import stats
from services.reporting.indicators.cases import closed_in_period
from services.reporting.indicators.cells import (
    CLIENTS,
    ITEMS,
    CellGroup,
    CellSql,
    Count,
    month_of,
    region_of,
)
from services.reporting.indicators.query import Query, month
from services.reporting.indicators.rows import Group, Item
from services.reporting.indicators.selections import closed_cases
from services.reporting.indicators.sources import Case
from services.reporting.projections.stamps import LATER_PHASES, REGION, SCORES, STAMPS

IN_WORK = frozenset({"open_market_job", "pay_subsidised_job"})
IN_WORK_OR_EDUCATION = IN_WORK | {"education"}



def _latest_later(value: str, measure: str, phases: str, first: str, last: str,
                  also: str = "") -> str:
    """SQL (FROM): per client and later phase (`phases`), the latest measurement `l` of the
    phase dated in the period (`first` … `last`) with a `value` (score or status); the
    latest is by date, then recorded time, then (ties) the first recorded event id."""
    return f"""(
      SELECT DISTINCT ON (m.client_id, m.phase) m.client_id, m.phase, m.local_date, m.{value}{also}
      FROM facts.measurements m
      WHERE m.measure = {measure} AND m.phase = ANY({phases}::text[]) AND m.recorded_at <= $1
        AND m.local_date BETWEEN {first} AND {last} AND m.{value} IS NOT NULL
      ORDER BY m.client_id, m.phase, m.local_date DESC, m.recorded_at DESC, m.event_id) l"""


def _baseline_of(value: str, measure: str) -> str:
    """SQL: the latest baseline with a `value` of `l`'s client dated on or before `l`."""
    return f"""SELECT b.{value} FROM facts.measurements b
      WHERE b.client_id = l.client_id AND b.measure = {measure} AND b.phase = 'baseline'
        AND b.recorded_at <= $1 AND b.local_date <= l.local_date AND b.{value} IS NOT NULL
      ORDER BY b.local_date DESC, b.recorded_at DESC, b.event_id LIMIT 1"""


def _probed_pairs(value: str, measure: str, phases: str, first: str, last: str) -> str:
    """SQL (FROM): `_latest_later`'s `l` with its latest baseline `b` dated on or before it,
    looked up per pair (the reference definition's)."""
    return (f"{_latest_later(value, measure, phases, first, last)}"
            f" JOIN LATERAL ({_baseline_of(value, measure)}) b ON true")


def _pairs(value: str, measure: str, phases: str, first: str, last: str) -> str:
    """SQL (FROM): `_probed_pairs`, where the baseline is the one `l` carries when that was
    recorded by $1 (projections/stamps.py) and only otherwise (rarely) looked up."""
    carried = (f", m.baseline_recorded_at, m.baseline_{value}, m.client_key, "
               + ", ".join(f"m.{c}" for c in REGION))
    return f"""{_latest_later(value, measure, phases, first, last, carried)}
CROSS JOIN LATERAL (SELECT CASE WHEN l.baseline_recorded_at <= $1 THEN l.baseline_{value}
      ELSE ({_baseline_of(value, measure)}) END AS {value}) b
WHERE l.baseline_recorded_at IS NOT NULL AND b.{value} IS NOT NULL"""


def _changes_sql(value: str) -> str:
    return f"""
SELECT l.client_id, l.phase, l.local_date, l.{value} AS later, b.{value} AS baseline
FROM {_probed_pairs(value, "$2", "$5", "$3", "$4")}
ORDER BY l.client_id, l.phase"""


async def _changes(q: Query, measure: str, value: str) -> list[Item]:
    """Per client and later phase: (baseline value, later value) as INDICATORS.md pairs them."""
    rows = await q.conn.fetch(_changes_sql(value), q.as_of, measure, q.date_from,
                              q.date_to, list(LATER_PHASES))
    await q.load_regions(r["client_id"] for r in rows)
    return [
        Item({"phase": r["phase"], "region": q.region(r["client_id"]),
              "month": month(r["local_date"])}, r["client_id"], (r["baseline"], r["later"]))
        for r in rows
    ]


async def work_ability_change(q: Query) -> list[Item]:
    return await _changes(q, "work_ability_score", "score")


async def self_assessment_change(q: Query) -> list[Item]:
    # The self-assessment's `overall`; a null overall is left out here.
    return await _changes(q, "self_assessment", "score")


async def labour_market_outcome(q: Query) -> list[Item]:
    return await _changes(q, "labour_market_status", "status")


def _change(item: Item) -> Any:
    base, later = item.data
    return later - base


def score_change(group: Group) -> dict[str, Any]:
    # Shares count client-and-phase pairs, with their clients as units.
    return {
        "value": stats.mean([_change(i) for i in group.items]),
        "improved_share": group.proportion(i for i in group.items if _change(i) >= 1),
        "worsened_share": group.proportion(i for i in group.items if _change(i) <= -1),
    }


def overall_change(group: Group) -> dict[str, Any]:
    return {
        "value": stats.mean([_change(i) for i in group.items]),
        "improved_share": group.proportion(i for i in group.items if _change(i) > 0),
        "worsened_share": group.proportion(i for i in group.items if _change(i) < 0),
    }


def labour_market(group: Group) -> dict[str, Any]:
    items = group.items
    return {
        "value": group.proportion(i for i in items if i.data[1] in IN_WORK_OR_EDUCATION),
        "baseline_share": group.proportion(
            i for i in items if i.data[0] in IN_WORK_OR_EDUCATION),
        "work_share": group.proportion(i for i in items if i.data[1] in IN_WORK),
    }


def _case_keys(q: Query, case: Case) -> dict[str, Any]:
    assert case.closed is not None
    return {
        "service": case.service, "organisation": case.organisation,
        "region": q.region(case.client), "month": month(case.closed),
    }


def _has(phase: str, first: str, last: str) -> str:
    """SQL: the client of case x has a score or self-assessment of `phase` dated in its
    window (x.`first` … x.`last`)."""
    return f"""EXISTS (
        SELECT 1 FROM facts.measurements m
        WHERE m.client_id = x.client_id AND m.measure = ANY($2::text[]) AND m.phase = {phase}
          AND m.recorded_at <= $1 AND m.local_date BETWEEN x.{first} AND x.{last})"""


_MEASURED_ONE = f"""SELECT x.case_id, {_has("$3", "first", "last")} AS found, false AS second
FROM unnest($4::text[], $5::text[], $6::date[], $7::date[]) AS x(case_id, client_id, first, last)"""
_MEASURED_TWO = f"""SELECT x.case_id, {_has("$3", "first", "last")} AS found,
       {_has("$8", "first2", "last2")} AS second
FROM unnest($4::text[], $5::text[], $6::date[], $7::date[], $9::date[], $10::date[])
    AS x(case_id, client_id, first, last, first2, last2)"""

Window = Callable[[Case], tuple[date, date]]


async def _measured(q: Query, cases: list[Case], phase: str, window: Window,
                    also: tuple[str, Window] | None = None) -> dict[str, tuple[bool, bool]]:
    """Of each case, whether its client has a `phase` score or self-assessment dated in
    `window`, and (`also`) one of another phase in its window (else False)."""
    windows = [window(c) for c in cases]
    args: list[Any] = [q.as_of, list(SCORES), phase, [c.case_id for c in cases],
                       [c.client for c in cases], [w[0] for w in windows],
                       [w[1] for w in windows]]
    if also is not None:
        seconds = [also[1](c) for c in cases]
        args += [also[0], [w[0] for w in seconds], [w[1] for w in seconds]]
    rows = await q.conn.fetch(_MEASURED_TWO if also else _MEASURED_ONE, *args)
    return {r["case_id"]: (r["found"], r["second"]) for r in rows}


def _closed(case: Case) -> date:
    assert case.closed is not None
    return case.closed


async def follow_up_coverage(q: Query) -> list[Item]:
    cases = [c for c in await closed_in_period(q) if (q.as_of_date - _closed(c)).days >= 90]
    # Dated after the close.
    followed = await _measured(q, cases, "follow_up",
                               lambda c: (_closed(c) + timedelta(days=1), date.max))
    return [Item(_case_keys(q, c), c.client, followed[c.case_id][0]) for c in cases]


def coverage(group: Group) -> dict[str, Any]:
    return {"value": group.proportion(i for i in group.items if i.data)}


async def measurement_coverage(q: Query) -> list[Item]:
    cases = await closed_in_period(q)
    measured = await _measured(
        q, cases, "baseline", lambda c: (c.opened - timedelta(days=30), _closed(c)),
        ("end", lambda c: (c.opened, _closed(c) + timedelta(days=30))))
    return [Item(_case_keys(q, c), c.client, measured[c.case_id]) for c in cases]


def baseline_and_end(group: Group) -> dict[str, Any]:
    # Counts cases, with their clients as units.
    items = group.items
    return {
        "value": group.proportion(i for i in items if i.data[0] and i.data[1]),
        "baseline_share": group.proportion(i for i in items if i.data[0]),
        "end_share": group.proportion(i for i in items if i.data[1]),
    }


# Aggregated in SQL (cells.py): the same selections and reducers as above, one row per cell.



def _closed_in(probe: str | None, where: str = "e.local_date BETWEEN $2 AND $3") -> str:
    """SQL (FROM): cases `c` whose first close is dated in the period (and meets `where`),
    with their first opening (the selection of `selections.load_cases_closed_in`:
    `closed_cases`), the close's measured stamps (projections/stamps.py: STAMPS; on a
    close with one opening), and a `probe` of the case (a LATERAL `f`; None: none) as of
    $1, which reads the measurements only for a close without stamps (`c.openings > 1`, a
    one-time filter)."""
    stamps = ("openings", *STAMPS)
    closed = closed_cases(where, stamps)
    return closed if probe is None else f"{closed} CROSS JOIN LATERAL ({probe}) f"


def _stamped(stamp: str, probed: str) -> str:
    """SQL: a case measured in a window as of $1: its stamp recorded by then, or (a case
    with several openings, without stamps) what the probe found."""
    return f"CASE WHEN c.openings = 1 THEN coalesce(c.{stamp} <= $1, false) ELSE {probed} END"


_CASE_KEYS = {
    "service": "c.service", "organisation": "c.organisation_id",
    "region": region_of("c"), "month": month_of("c.local_date"),
}
# Whether the case's client has a score or self-assessment ($4) of the baseline dated
# open − 30 … close, and of the end dated open … close + 30: one probe over both windows.
_BASELINE_AND_END = """
    SELECT coalesce(bool_or(m.phase = 'baseline' AND m.local_date <= c.local_date), false)
               AS baseline,
           coalesce(bool_or(m.phase = 'end' AND m.local_date >= c.opened_on), false) AS ended
    FROM facts.measurements m
    WHERE c.openings > 1 AND m.client_id = c.client_id AND m.measure = ANY($4::text[])
      AND m.phase IN ('baseline', 'end') AND m.recorded_at <= $1
      AND m.local_date BETWEEN c.opened_on - 30 AND c.local_date + 30"""


def measurement_coverage_cells(q: Query) -> CellSql:
    """Cases closed in the period with a baseline and an end measurement in their windows."""
    columns = {"client_id": "c.client_id",
               "baseline": _stamped("measured_baseline_at", "f.baseline"),
               "ended": _stamped("measured_end_at", "f.ended")}
    return CellSql(_closed_in(_BASELINE_AND_END), _CASE_KEYS, columns, {
        "n": CLIENTS, "items": ITEMS,
        "both": Count("count(*)", where="baseline AND ended"),
        "baseline": Count("count(*)", where="baseline"),
        "end": Count("count(*)", where="ended"),
    }, arguments=(list(SCORES),))


def baseline_and_end_cell(group: CellGroup) -> dict[str, Any]:
    return {"value": group.proportion("both"), "baseline_share": group.proportion("baseline"),
            "end_share": group.proportion("end")}


# Whether the case's client has a follow-up score or self-assessment ($4) dated after the
# close: a subquery of the column, run only for a close without stamps. (As a LATERAL beside
# every close, like `_BASELINE_AND_END`, the join cost a fifth of the statement at 10 M:
# 217 against 267 ms, medians of nine.)
_FOLLOWED = """EXISTS (SELECT 1 FROM facts.measurements m
        WHERE m.client_id = c.client_id AND m.measure = ANY($4::text[])
          AND m.phase = 'follow_up' AND m.recorded_at <= $1 AND m.local_date > c.local_date)"""


def follow_up_coverage_cells(q: Query) -> CellSql:
    """Cases closed in the period at least 90 days before the as_of date ($5), followed up."""
    return CellSql(_closed_in(None, "e.local_date BETWEEN $2 AND $3"
                              " AND e.local_date <= $5::date - 90"), _CASE_KEYS,
                   {"client_id": "c.client_id",
                    "followed": _stamped("measured_follow_up_at", _FOLLOWED)},
                   {"n": CLIENTS, "items": ITEMS, "followed": Count("count(*)", where="followed")},
                   arguments=(list(SCORES), q.as_of_date))


def coverage_cell(group: CellGroup) -> dict[str, Any]:
    return {"value": group.proportion("followed")}


_CHANGE_KEYS = {"phase": "l.phase", "region": region_of("l"),
                "month": month_of("l.local_date")}


def _score_changes(measure: str, better: str, worse: str) -> CellSql:
    """Client-and-phase pairs of `measure`: improved (change `better`), worsened (`worse`)."""
    return CellSql(
        _pairs("score", "$4", "$5", "$2", "$3"), _CHANGE_KEYS,
        {"client_id": "l.client_id", "change": "l.score - b.score"},
        {"n": CLIENTS, "items": ITEMS, "improved": Count("count(*)", where=f"change {better}"),
         "worsened": Count("count(*)", where=f"change {worse}")},
        # The mean's exact sum and count, not every change (numerics decode slowly).
        {"change_sum": "sum(change)", "changes": "count(change)"},
        arguments=(measure, list(LATER_PHASES)),
    )


def work_ability_change_cells(q: Query) -> CellSql:
    return _score_changes("work_ability_score", ">= 1", "<= -1")


def self_assessment_change_cells(q: Query) -> CellSql:
    return _score_changes("self_assessment", "> 0", "< 0")


def change_cell(group: CellGroup) -> dict[str, Any]:
    return {"value": stats.mean_of(group.aggregate("change_sum"), group.aggregate("changes")),
            "improved_share": group.proportion("improved"),
            "worsened_share": group.proportion("worsened")}


def labour_market_outcome_cells(q: Query) -> CellSql:
    """Client-and-phase pairs of labour market statuses: in work or education ($6), in
    work ($7)."""
    return CellSql(
        _pairs("status", "$4", "$5", "$2", "$3"), _CHANGE_KEYS,
        {"client_id": "l.client_id", "later": "l.status", "baseline": "b.status"},
        {"n": CLIENTS, "items": ITEMS,
         "occupied": Count("count(*)", where="later = ANY($6::text[])"),
         "baseline_occupied": Count("count(*)", where="baseline = ANY($6::text[])"),
         "working": Count("count(*)", where="later = ANY($7::text[])")},
        arguments=("labour_market_status", list(LATER_PHASES),
                   sorted(IN_WORK_OR_EDUCATION), sorted(IN_WORK)),
    )


def labour_market_cell(group: CellGroup) -> dict[str, Any]:
    return {"value": group.proportion("occupied"),
            "baseline_share": group.proportion("baseline_occupied"),
            "work_share": group.proportion("working")}
