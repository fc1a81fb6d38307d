"""What an indicator counts, selected in SQL: by the period's business dates, or open on a
date, as the facts existed at `as_of` (`$1` in every statement).

Each loader reads only the rows of its selection through the indexes of migration 008, not
the whole history: a row is its id's first when no row of the same id recorded by `as_of`
precedes it (by date, recorded time, then event id: INDICATORS.md, Ties), one index probe.
The objects are those of `sources`, so the indicator families read them as before; they
come in no particular order where every reducer reading them is order-independent (counts,
shares, medians), which spares the server a sort of the whole selection.
"""

from __future__ import annotations

from datetime import date, datetime

import asyncpg

from services.reporting.indicators.sources import (
    Case,
    Decision,
    Referral,
    Transfer,
    load_transfers,
)
from services.reporting.projections.firsts import ENDED_BY, FIRST_OF, OPENED_BY
from services.reporting.projections.stamps import REGION


def first_of(table: str, alias: str, key: str) -> str:
    """SQL: row `alias` of facts.`table` exists at `$1` and is then the first of its `key`
    (Ties), by the row's own `superseded_at` (projections/firsts.py; `table` must be one of
    its FIRST_OF)."""
    if FIRST_OF.get(table) != key:
        raise ValueError(f"facts.{table} keeps no first-row mark for {key}")
    return (f"{alias}.recorded_at <= $1"
            f" AND ({alias}.superseded_at IS NULL OR {alias}.superseded_at > $1)")


def not_ended(table: str, alias: str, ended: str) -> str:
    """SQL, a FROM item `alias`: the first rows as of `$1` of facts.`table` (an opening:
    CaseOpened, ReferralMade, CoachingStarted) dated on or before `$3` whose id's first end
    as of `$1` (by date: close, decision, CoachingEnded) is missing or dated `ended` (e.g.
    `> $3`), with its column `ended`: that end's date or null. Its other columns: the
    opening's id, `local_date` and the columns its ends carry (OPENED_BY), or all of them.

    Three disjoint index ranges, none growing with the history: no end ever recorded, no end
    recorded by `$1` (`ended_at`, projections/firsts.py), and a first end dated `ended`
    (read from the ends alone where they carry their opening: `with_opening`).
    """
    ending, key = ENDED_BY[table]
    first = first_of(table, "t", key)
    if ending in OPENED_BY:
        copied = (*OPENED_BY[ending][2], *REGION, "client_key")
        columns = ", ".join(f"t.{c}" for c in (key, "local_date", *copied))
        # Open on $3 and ended after it: where the span is indexed, the ends spanning $3.
        spanning = SPANNING_TO if ending in SPANNED and ended == "> $3" else None
        ends = with_opening(ending, (key, "local_date"), f"e.local_date {ended}", "e",
                            spanning)
        lately = (f"SELECT e.{key}, e.opened_on, {', '.join(f'e.{c}' for c in copied)},"
                  f" e.local_date FROM {ends} WHERE e.opened_on <= $3")
    else:
        columns = "t.*"
        lately = f"""SELECT t.*, e.local_date FROM facts.{ending} e
            JOIN facts.{table} t ON t.{key} = e.{key} AND {first}
            WHERE e.local_date {ended} AND t.local_date <= $3
              AND {first_of(ending, "e", key)}"""
    return f"""(SELECT {columns}, NULL::date AS ended FROM facts.{table} t
            WHERE t.ended_at IS NULL AND t.local_date <= $3 AND {first}
        UNION ALL SELECT {columns}, NULL::date FROM facts.{table} t
            WHERE t.ended_at > $1 AND t.local_date <= $3 AND {first}
        UNION ALL {lately}) {alias}"""


# The ends whose span from their one opening (`opened_on` … `local_date`, on an end with
# one opening) a GiST index covers (migration 022). Those open on $3 and ended after it are
# then one lookup in it, not a scan of every end dated after $3 filtered on its opening:
# at ten million events, the referrals waiting at the end of the last full year were 6,900
# of the 138,000 decisions since (referral_queue's statement 109 → 63 ms).
SPANNED = frozenset({"referral_decisions"})
# SQL: end `e` (with one opening) spans $3, as the index holds the span (`least`: an end
# dated before its opening, a late record, spans nothing, as it is open on no date).
SPANNING_TO = "daterange(least(e.opened_on, e.local_date), e.local_date) @> $3::date"


def with_opening(ending: str, columns: tuple[str, ...], where: str, alias: str,
                 single: str | None = None) -> str:
    """SQL, a FROM item `alias`: the first rows `e` as of `$1` of facts.`ending` (a close, a
    referral decision) that meet `where`, each with its id's first opening as of `$1` (an
    end without one is left out): the end's `columns`, the opening's date as `opened_on`
    and the opening's columns that OPENED_BY copies, under their own names.

    Also the client's registrations (`cells.region_of`, projections/stamps.py: REGION).

    An id with one opening row has it copied onto its ends (`opened_*`,
    projections/firsts.py, OPENED_BY): no join. Only ids with several openings (re-dated
    late records) join them, through a partial index: the cost follows the rows selected,
    not the history. `single`: a further condition on an end with one opening (which then
    carries its opening's date and columns), implied by `where` and the caller's own on
    the opening (e.g. `SPANNING_TO`), for an index to find them by."""
    opening, key, copied = OPENED_BY[ending]
    first = first_of(ending, "e", key)
    own = ", ".join(f"e.{c}" for c in columns)
    # The client's registrations (`region_of`): the end's own copy, for its one opening's
    # client (projections/stamps.py), or the opening's. And the client's record key
    # (projections/keys.py): the end's, when its client is its opening's (if not, none:
    # the count's units are then sent, fetch.fetch_cells).
    mine, theirs = (", ".join(f"{alias}.{c}" for c in REGION) for alias in ("e", "o"))
    mine += ", CASE WHEN e.client_id = e.opened_client_id THEN e.client_key END AS client_key"
    theirs += ", o.client_key"
    also = "" if single is None else f" AND {single}"
    return f"""(SELECT {own}, e.opened_on, {", ".join(f"e.opened_{c} AS {c}" for c in copied)},
                {mine}
            FROM facts.{ending} e
            WHERE {where} AND {first} AND e.openings = 1 AND e.opened_recorded_at <= $1{also}
        UNION ALL SELECT {own}, o.local_date, {", ".join(f"o.{c}" for c in copied)}, {theirs}
            FROM facts.{ending} e JOIN facts.{opening} o ON o.{key} = e.{key}
                AND {first_of(opening, "o", key)}
            WHERE {where} AND {first} AND e.openings > 1) {alias}"""


def closed_cases(where: str, also: tuple[str, ...] = ()) -> str:
    """SQL, a FROM item `c`: the cases whose first close `e` as of `$1` meets `where` (e.g.
    `e.local_date BETWEEN $2 AND $3`), each with its first opening as of `$1` (a case
    without one is left out): `case_id`, `local_date` and `exit_destination` of the close
    (and its columns `also`); `opened_on` and the columns OPENED_BY copies (`client_id`,
    `service`, …) of the opening."""
    return with_opening("cases_closed", ("case_id", "local_date", "exit_destination", *also),
                        where, "c")


_CASE = """o.case_id, o.client_id, o.organisation_id, o.service, o.referral_id,
           o.responsible_worker_id, o.local_date, o.recorded_at"""

# The case's first close as of $1 (its date and exit destination), if any.
_FIRST_CLOSE = """LEFT JOIN LATERAL (
    SELECT c.local_date AS closed, c.exit_destination FROM facts.cases_closed c
    WHERE c.case_id = o.case_id AND c.recorded_at <= $1
    ORDER BY c.local_date, c.recorded_at, c.event_id LIMIT 1) c ON true"""


def _case(r: asyncpg.Record) -> Case:
    return Case(
        r["case_id"], r["client_id"], r["organisation_id"], r["service"], r["referral_id"],
        r["responsible_worker_id"], r["local_date"], r["recorded_at"],
        r.get("closed"), r.get("exit_destination"),
    )


async def load_cases_open_on(conn: asyncpg.Connection, as_of: datetime, day: date
                             ) -> list[Case]:
    """Cases open on `day` (opened on or before it, no close dated on or before it), with
    their transfers dated on or before `day` (what `Case.holder(day)` reads)."""
    rows = await conn.fetch(
        f"""SELECT DISTINCT ON (o.case_id) {_CASE} FROM facts.cases_opened o
            WHERE o.recorded_at <= $1 AND o.local_date <= $2
              AND NOT EXISTS (SELECT 1 FROM facts.cases_closed c WHERE c.case_id = o.case_id
                              AND c.recorded_at <= $1 AND c.local_date <= $2)
            ORDER BY o.case_id, o.local_date, o.recorded_at, o.event_id""",
        as_of, day,
    )
    cases = [_case(r) for r in rows]
    transfers = await load_transfers(conn, as_of, [c.case_id for c in cases], day)
    for case in cases:
        case.transfers = transfers.get(case.case_id, [])
    return cases


async def load_cases_closed_in(conn: asyncpg.Connection, as_of: datetime, date_from: date,
                               date_to: date) -> list[Case]:
    """Cases whose first close is dated in the period, closed and exit set (no transfers)."""
    rows = await conn.fetch(
        f"""SELECT {_CASE}, c.local_date AS closed, c.exit_destination
            FROM facts.cases_closed c
            JOIN LATERAL (SELECT * FROM facts.cases_opened o
                          WHERE o.case_id = c.case_id AND o.recorded_at <= $1
                          ORDER BY o.local_date, o.recorded_at, o.event_id LIMIT 1) o ON true
            WHERE c.local_date BETWEEN $2 AND $3
              AND {first_of("cases_closed", "c", "case_id")}""",
        as_of, date_from, date_to,
    )
    return [_case(r) for r in rows]


async def load_cases_active_in(conn: asyncpg.Connection, as_of: datetime, date_from: date,
                               date_to: date) -> list[Case]:
    """Cases open at any time in the period (opened by `to`, not closed before `from`),
    with their first close (no transfers)."""
    rows = await conn.fetch(
        f"""SELECT o.*, c.closed, c.exit_destination FROM (
                SELECT DISTINCT ON (o.case_id) {_CASE} FROM facts.cases_opened o
                WHERE o.recorded_at <= $1 AND o.local_date <= $3
                  AND NOT EXISTS (SELECT 1 FROM facts.cases_closed c
                                  WHERE c.case_id = o.case_id AND c.recorded_at <= $1
                                    AND c.local_date < $2)
                ORDER BY o.case_id, o.local_date, o.recorded_at, o.event_id) o
            {_FIRST_CLOSE}""",
        as_of, date_from, date_to,
    )
    return [_case(r) for r in rows]


async def load_cases_opened_in(conn: asyncpg.Connection, as_of: datetime, date_from: date,
                               date_to: date, services: tuple[str, ...]) -> list[Case]:
    """Cases of `services` opened (first `CaseOpened`) in the period (no close, no transfers)."""
    rows = await conn.fetch(
        f"""SELECT {_CASE} FROM facts.cases_opened o
            WHERE o.local_date BETWEEN $2 AND $3
              AND o.service = ANY($4::text[]) AND {first_of("cases_opened", "o", "case_id")}""",
        as_of, date_from, date_to, list(services),
    )
    return [_case(r) for r in rows]


_REFERRAL = """r.referral_id, r.client_id, r.local_date, r.recorded_at, r.referring_org_kind,
               r.target_organisation_id, r.target_service, r.reasons, r.triage,
               r.unemployment_months"""


def _referral(r: asyncpg.Record) -> Referral:
    return Referral(
        r["referral_id"], r["client_id"], r["local_date"], r["recorded_at"],
        r["referring_org_kind"], r["target_organisation_id"], r["target_service"],
        list(r["reasons"] or []), r["triage"], r["unemployment_months"],
    )


# The client's first assessment started on or after the referral date, any kind.
_FIRST_ASSESSMENT = """(SELECT min(s.local_date) FROM facts.assessments_started s
                         WHERE s.client_id = r.client_id AND s.recorded_at <= $1
                           AND s.local_date >= r.local_date)"""


async def load_referrals_made_in(
    conn: asyncpg.Connection, as_of: datetime, date_from: date, date_to: date, *,
    first_assessment: bool = False,
) -> list[Referral]:
    """Referrals whose (first) `ReferralMade` is dated in the period (decisions not loaded;
    with `first_assessment`, the client's first assessment on or after the referral date)."""
    assessed = _FIRST_ASSESSMENT if first_assessment else "NULL::date"
    rows = await conn.fetch(
        f"""SELECT {_REFERRAL}, {assessed} AS first_assessment FROM facts.referrals r
            WHERE r.local_date BETWEEN $2 AND $3
              AND {first_of("referrals", "r", "referral_id")}""",
        as_of, date_from, date_to,
    )
    referrals = []
    for r in rows:
        referral = _referral(r)
        referral.first_assessment = r["first_assessment"]
        referrals.append(referral)
    return referrals


async def load_first_decisions_in(conn: asyncpg.Connection, as_of: datetime, date_from: date,
                                  date_to: date) -> list[Referral]:
    """Referrals whose first decision is dated in the period, that decision their only one."""
    rows = await conn.fetch(
        f"""SELECT {_REFERRAL}, d.decision, d.local_date AS decided_on,
                   d.recorded_at AS decided_recorded
            FROM facts.referral_decisions d
            JOIN LATERAL (SELECT * FROM facts.referrals r
                          WHERE r.referral_id = d.referral_id AND r.recorded_at <= $1
                          ORDER BY r.local_date, r.recorded_at, r.event_id LIMIT 1) r ON true
            WHERE d.local_date BETWEEN $2 AND $3
              AND {first_of("referral_decisions", "d", "referral_id")}""",
        as_of, date_from, date_to,
    )
    referrals = []
    for r in rows:
        referral = _referral(r)
        referral.decisions.append(Decision(r["decision"], r["decided_on"], r["decided_recorded"]))
        referrals.append(referral)
    return referrals


async def load_referrals_waiting_on(conn: asyncpg.Connection, as_of: datetime, day: date
                                    ) -> list[Referral]:
    """Referrals made on or before `day` without a decision dated on or before it."""
    rows = await conn.fetch(
        f"""SELECT DISTINCT ON (r.referral_id) {_REFERRAL} FROM facts.referrals r
            WHERE r.recorded_at <= $1 AND r.local_date <= $2
              AND NOT EXISTS (SELECT 1 FROM facts.referral_decisions d
                              WHERE d.referral_id = r.referral_id AND d.recorded_at <= $1
                                AND d.local_date <= $2)
            ORDER BY r.referral_id, r.local_date, r.recorded_at, r.event_id""",
        as_of, day,
    )
    return [_referral(r) for r in rows]


async def load_transfers_in(conn: asyncpg.Connection, as_of: datetime, date_from: date,
                            date_to: date) -> list[Transfer]:
    """Responsibility transfers dated in the period."""
    rows = await conn.fetch(
        """SELECT client_id, from_organisation_id, to_organisation_id, to_worker_id,
                  local_date, recorded_at FROM facts.case_transfers
           WHERE recorded_at <= $1 AND local_date BETWEEN $2 AND $3""",
        as_of, date_from, date_to,
    )
    return [Transfer(r["local_date"], r["recorded_at"], r["client_id"],
                     r["from_organisation_id"], r["to_organisation_id"], r["to_worker_id"])
            for r in rows]


async def load_next_services(conn: asyncpg.Connection, as_of: datetime, closed: list[Case]
                             ) -> dict[str, str | None]:
    """Of each closed case, the service of its client's first other case opened 0–180 days
    after the close (first by date, recorded time, case id); cases without one left out."""
    rows = await conn.fetch(
        f"""SELECT x.case_id, n.service
            FROM unnest($2::text[], $3::text[], $4::date[]) AS x(case_id, client_id, closed)
            JOIN LATERAL (
                SELECT o.service FROM facts.cases_opened o
                WHERE o.client_id = x.client_id AND o.case_id <> x.case_id
                  AND o.local_date BETWEEN x.closed AND x.closed + 180
                  AND {first_of("cases_opened", "o", "case_id")}
                ORDER BY o.local_date, o.recorded_at, o.case_id LIMIT 1) n ON true""",
        as_of, [c.case_id for c in closed], [c.client for c in closed],
        [c.closed for c in closed],
    )
    return {r["case_id"]: r["service"] for r in rows}
