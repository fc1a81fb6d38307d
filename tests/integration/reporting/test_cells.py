"""Indicators aggregated in SQL (cells.py) give exactly the rows of their reference definition
(counted items, aggregated in Python): exact and perturbed, ungrouped and by each key and
pair of keys, in and out of period, as of several moments, over a random history with late
records that re-date an id's first event."""

from __future__ import annotations

import copy
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from services.reporting.dashboard.charts import CHARTS
from services.reporting.indicators import (
    EXACT,
    INDICATORS,
    DemoOrgLookup,
    compute,
    compute_sets,
    fetch,
    report,
)
from services.reporting.indicators.catalogue import Indicator
from services.reporting.indicators.disclosure import DisclosureControl
from services.reporting.indicators.query import Query
from services.reporting.projections import project
from services.reporting.projections.keys import RecordKeys, ensure_keyed
from tests.integration.reporting.builders import History, new_id
from tests.integration.reporting.random_history import (
    REGIONS,
    SERVICES,
    STATUSES,
    random_history,
)

CONTROL = DisclosureControl.cell_key_method("cells-equivalence-key")
# The fact rows are keyed with CONTROL's key (projections/keys.py): its perturbed counts sum
# the stored record keys where the statement can; UNKEYED's send their units.
KEYS = RecordKeys.of("cells-equivalence-key")
UNKEYED = DisclosureControl.cell_key_method("a-key-the-rows-are-not-keyed-with")
IN_CELLS = [spec for spec in INDICATORS if spec.cells is not None]
AS_OF = (datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 9, 15, tzinfo=UTC),
         datetime(2030, 1, 1, tzinfo=UTC))
PERIODS = ((date(2024, 1, 1), date(2024, 12, 31)), (date(2023, 11, 5), date(2024, 2, 29)))


def _with_late_records(history: History, seed: int = 5) -> History:
    """A third of the closed cases' clients open a next case. Every event recorded a few
    days after its business time (so what exists at `as_of` depends on `as_of`), and some
    once more under new ids, dated up to 60 days earlier or later and recorded months later:
    an id's first event then depends on `as_of` too. An eighth of the case openings and
    referrals are recorded months late, and a quarter of the baselines get a later one of
    another value, recorded months later. An eighth of the clients' registrations are
    recorded in 2024, after their other events; a sixth of the clients move to another
    region during 2024. Anonymous feedback, whose region is its organisation's (one of them
    unknown to the registry)."""
    rng = random.Random(seed)
    for _ in range(60):
        region = rng.choice(REGIONS)
        org = rng.choice((f"{region}-sote", f"{region}-ngo", f"{region}-mtp", "nowhere-org"))
        history.feedback(str(date(2023, 10, 1) + timedelta(days=rng.randrange(460))),
                         rng.randrange(11), org=org, service=rng.choice(SERVICES),
                         helped=rng.choice((True, False, None)),
                         heard=rng.choice((True, False, None)))
    closes = [e for e in history.events if e["type"] == "CaseClosed"]
    next_cases = []
    for close in rng.sample(closes, len(closes) // 3):
        # The client's next case (pathway_transitions), some opened on the day of the close,
        # some too late to count.
        day = datetime.fromisoformat(close["data"]["occurred_at"]).date()
        history.open_case(close["data"]["client_id"],
                          str(day + timedelta(days=rng.choice((0, rng.randrange(1, 200))))),
                          service=rng.choice(SERVICES))
        next_cases.append(history.events[-1])
    for event in history.events:  # recorded a few days after it happened, not in call order
        occurred = datetime.fromisoformat(event["data"]["occurred_at"])
        event["time"] = (occurred + timedelta(days=rng.randrange(0, 10))).isoformat()
    for event in rng.sample(next_cases, len(next_cases) * 2 // 3):
        # The next case's opening recorded again later (after the middle `as_of`), dated up
        # to 40 days earlier, or another case of another service so dated: which row is the
        # next case's first, whether it is in the close's window and which case is next
        # depend on `as_of`.
        again = copy.deepcopy(event)
        again["id"] = new_id()
        if rng.random() < 1 / 2:
            again["data"]["case_id"] = new_id()
            again["data"]["service"] = rng.choice(
                [s for s in SERVICES if s != event["data"]["service"]])
        occurred = datetime.fromisoformat(event["data"]["occurred_at"])
        again["data"]["occurred_at"] = (occurred - timedelta(days=rng.randrange(1, 40))).isoformat()
        recorded = max(datetime.fromisoformat(event["time"]), AS_OF[1])
        again["time"] = (recorded + timedelta(days=rng.randrange(1, 120))).isoformat()
        history.events.append(again)
    for event in rng.sample(history.events, len(history.events) // 12):
        again: dict[str, Any] = copy.deepcopy(event)
        again["id"] = new_id()
        occurred = datetime.fromisoformat(event["data"]["occurred_at"])
        shift = rng.randrange(-60, 61)
        again["data"]["occurred_at"] = (occurred + timedelta(days=shift)).isoformat()
        recorded = datetime.fromisoformat(event["time"])
        again["time"] = (recorded + timedelta(days=rng.randrange(1, 200))).isoformat()
        history.events.append(again)
    baselines = [e for e in history.events if e["data"].get("phase") == "baseline"]
    for event in rng.sample(baselines, len(baselines) // 4):
        # Another baseline with another value, dated the same day or a little later and
        # recorded months later: the latest baseline of a later measurement depends on
        # `as_of`, and ties on the date go by recorded time.
        again = copy.deepcopy(event)
        again["id"] = again["data"]["measurement_id"] = new_id()
        occurred = datetime.fromisoformat(event["data"]["occurred_at"])
        shift = rng.choice((0, rng.randrange(1, 30)))
        again["data"]["occurred_at"] = (occurred + timedelta(days=shift)).isoformat()
        recorded = datetime.fromisoformat(event["time"])
        again["time"] = (recorded + timedelta(days=rng.randrange(30, 300))).isoformat()
        _another_value(again["data"], rng)
        history.events.append(again)
    openings = [e for e in history.events if e["type"] in ("CaseOpened", "ReferralMade")]
    for event in rng.sample(openings, len(openings) // 8):
        # The opening recorded long after it happened, often after the close or decision
        # was: an end known at `as_of` whose case or referral is not yet.
        recorded = datetime.fromisoformat(event["time"])
        event["time"] = (recorded + timedelta(days=rng.randrange(60, 400))).isoformat()
    registrations = [e for e in history.events if e["type"] == "ClientRegistered"]
    for event in rng.sample(registrations, len(registrations) // 8):
        # Registered long after: as of a moment between, the client's rows have no region.
        event["time"] = datetime(2024, rng.randrange(4, 13), 1, tzinfo=UTC).isoformat()
    for event in rng.sample(registrations, len(registrations) // 6):
        # The client moves: registered again in another region, recorded in 2024.
        again = copy.deepcopy(event)
        again["id"] = new_id()
        again["data"]["home_region"] = rng.choice(
            [r for r in REGIONS if r != event["data"]["home_region"]])
        again["time"] = datetime(2024, rng.randrange(1, 13), 1, tzinfo=UTC).isoformat()
        history.events.append(again)
    return history


def _another_value(data: dict[str, Any], rng: random.Random) -> None:
    """A measurement's value changed (a score, a self-assessment's overall or a status)."""
    if "score" in data:
        data["score"] = rng.randrange(11)
    elif "overall" in data:
        data["overall"] = rng.randrange(1, 10)
    else:
        data["status"] = rng.choice(STATUSES)


@pytest.fixture(scope="module")
def late_history() -> History:
    return _with_late_records(random_history(clients=220, seed=41))


def _groupings(spec: Indicator) -> list[list[str]]:
    free = [k for k in spec.group_by if k not in spec.always]
    return [[], *([k] for k in free), *([a, b] for i, a in enumerate(free) for b in free[i + 1:])]


async def _keyed_history(conn: asyncpg.Connection, history: History) -> None:
    """The history projected with CONTROL's record keys, and the keys marked as its."""
    async with conn.transaction():
        await project(conn, history.envelopes(), keys=KEYS)
    assert await ensure_keyed(conn, KEYS)


def _spy_keyed(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each cells statement answered with sums of record keys, in order."""
    keyed: list[bool] = []
    original = fetch._cells

    def spied(*args: Any, **kwargs: Any) -> Any:
        keyed.append(kwargs.get("keyed", args[4] if len(args) > 4 else False))
        return original(*args, **kwargs)

    monkeypatch.setattr(fetch, "_cells", spied)
    return keyed


@pytest.mark.parametrize("spec", IN_CELLS, ids=lambda s: s.id)
async def test_sql_cells_give_the_reference_rows(
    conn: asyncpg.Connection, late_history: History, spec: Indicator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _keyed_history(conn, late_history)
    keyed = _spy_keyed(monkeypatch)
    asked_with: list[DisclosureControl] = []
    compared = differing = 0
    for group_by in _groupings(spec):
        for as_of in AS_OF:
            for date_from, date_to in PERIODS:
                # Units sent (another key than the rows'): as of one moment, one period.
                unkeyed = (UNKEYED,) if (as_of, date_from) == (AS_OF[1], PERIODS[0][0]) else ()
                for control in (EXACT, CONTROL, *unkeyed):
                    asked: dict[str, Any] = dict(
                        date_from=date_from, date_to=date_to, group_by=group_by, as_of=as_of,
                        threshold=3, orgs=DemoOrgLookup(), disclosure=control)
                    fast = await compute(conn, spec.id, **asked)
                    asked_with.append(control)
                    reference = await compute(conn, spec.id, reference=True, **asked)
                    compared += 1
                    if fast["rows"] != reference["rows"]:
                        differing += 1
                        assert fast["rows"] == reference["rows"], (group_by, as_of, date_from,
                                                                   control.key)
    assert compared and not differing
    # Exact and CONTROL's counts read the stored keys wherever the statement can (a cell
    # with nothing counted reads none: its statement then has no row to read them from;
    # parent rows: their sums too); UNKEYED's, of another key, sent units.
    assert len(keyed) == len(asked_with)
    by_control = {c.key: [k for k, a in zip(keyed, asked_with, strict=True) if a is c]
                  for c in (EXACT, CONTROL, UNKEYED)}
    assert any(by_control[EXACT.key]) and any(by_control[CONTROL.key]), by_control
    assert not any(by_control[UNKEYED.key])


def _query(conn: asyncpg.Connection, keys: list[str]) -> Query:
    return Query(conn, PERIODS[0][0], PERIODS[0][1], AS_OF[1], DemoOrgLookup(), keys)


@pytest.mark.parametrize("control", [EXACT, CONTROL], ids=["exact", "perturbed"])
async def test_a_row_without_its_record_key_sends_its_cells_units(
    conn: asyncpg.Connection, late_history: History, monkeypatch: pytest.MonkeyPatch,
    control: DisclosureControl,
) -> None:
    """A row left unkeyed (a writer without keys) cannot make a count or its noise wrong:
    its statement's cells come again with their units."""
    await _keyed_history(conn, late_history)
    asked: dict[str, Any] = dict(date_from=PERIODS[0][0], date_to=PERIODS[0][1],
                                 group_by=["target_service"], as_of=AS_OF[-1], threshold=3,
                                 orgs=DemoOrgLookup(), disclosure=control)
    reference = await compute(conn, "referrals_made", reference=True, **asked)
    await conn.execute("""UPDATE facts.referrals SET client_key = NULL WHERE event_id =
        (SELECT event_id FROM facts.referrals WHERE local_date BETWEEN $1 AND $2 LIMIT 1)""",
                       *PERIODS[0])
    keyed = _spy_keyed(monkeypatch)
    assert (await compute(conn, "referrals_made", **asked))["rows"] == reference["rows"]
    assert keyed == [False]


@pytest.mark.parametrize("control", [EXACT, CONTROL], ids=["exact", "perturbed"])
async def test_a_key_on_a_row_without_its_unit_is_not_read(
    conn: asyncpg.Connection, late_history: History, monkeypatch: pytest.MonkeyPatch,
    control: DisclosureControl,
) -> None:
    """A keyed statement reads the items' keys, not their units: a row whose key names no
    unit (its client gone, its key left) would count a client the exact figures do not.
    Its statement's cells come again through the units."""
    await _keyed_history(conn, late_history)
    asked: dict[str, Any] = dict(date_from=PERIODS[0][0], date_to=PERIODS[0][1],
                                 group_by=["target_service"], as_of=AS_OF[-1], threshold=3,
                                 orgs=DemoOrgLookup(), disclosure=control)
    await conn.execute("""UPDATE facts.referrals SET client_id = NULL WHERE event_id =
        (SELECT event_id FROM facts.referrals WHERE local_date BETWEEN $1 AND $2 LIMIT 1)""",
                       *PERIODS[0])
    reference = await compute(conn, "referrals_made", reference=True, **asked)
    keyed = _spy_keyed(monkeypatch)
    assert (await compute(conn, "referrals_made", **asked))["rows"] == reference["rows"]
    assert keyed == [False]


@pytest.mark.parametrize("control", [EXACT, CONTROL], ids=["exact", "perturbed"])
async def test_keys_unusable_in_the_statements_snapshot_are_not_read(
    conn: asyncpg.Connection, late_history: History, monkeypatch: pytest.MonkeyPatch,
    control: DisclosureControl,
) -> None:
    """The keys are checked in the statement's own snapshot: had they stopped being usable
    after the check before it (two units found sharing a key meanwhile), its cells come
    again through the units."""
    await _keyed_history(conn, late_history)
    asked: dict[str, Any] = dict(date_from=PERIODS[0][0], date_to=PERIODS[0][1],
                                 group_by=["target_service"], as_of=AS_OF[-1], threshold=3,
                                 orgs=DemoOrgLookup(), disclosure=control)
    reference = await compute(conn, "referrals_made", reference=True, **asked)
    await conn.execute("DELETE FROM record_keys_of")

    async def still_keyed(_: asyncpg.Connection) -> str:
        return KEYS.fingerprint

    monkeypatch.setattr(report, "keyed_with", still_keyed)
    keyed = _spy_keyed(monkeypatch)
    assert (await compute(conn, "referrals_made", **asked))["rows"] == reference["rows"]
    assert keyed == [False]


async def test_the_random_history_has_rows_for_every_indicator_in_cells(
    conn: asyncpg.Connection, late_history: History
) -> None:
    """The comparison above compares something: every such indicator has counted rows."""
    async with conn.transaction():
        await project(conn, late_history.envelopes())
    empty = []
    for spec in IN_CELLS:
        result = await compute(conn, spec.id, date_from=date(2024, 1, 1),
                               date_to=date(2024, 12, 31), group_by=[], as_of=AS_OF[-1],
                               threshold=3, orgs=DemoOrgLookup(), disclosure=EXACT)
        if not any(row["n"] for row in result["rows"]):
            empty.append(spec.id)
    assert not empty


def _set_groupings(spec: Indicator) -> list[list[list[str]]]:
    """Groupings asked at once (a chart's rows and its totals): each grouping of two keys or
    one, with its first key, nothing and its keys in the other order; with region, region
    alone (a region filter's total)."""
    asked = []
    for group_by in _groupings(spec)[1:]:
        asked.append([group_by, group_by[:1], [], group_by[::-1]])
        if "region" in group_by:
            asked.append([group_by, ["region"], group_by])
    return asked


@pytest.mark.parametrize("spec", IN_CELLS, ids=lambda s: s.id)
async def test_groupings_asked_at_once_give_each_groupings_own_rows(
    conn: asyncpg.Connection, late_history: History, spec: Indicator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`compute_sets` (one statement with GROUPING SETS where the items allow) gives exactly
    what `compute` gives for each grouping; the dashboard's charts take the one statement."""
    await _keyed_history(conn, late_history)
    shared = []
    original = report.fetch_cell_sets

    async def counted(*args: Any, **kwargs: Any) -> Any:
        shared.append(args[3])
        return await original(*args, **kwargs)

    monkeypatch.setattr(report, "fetch_cell_sets", counted)
    for group_bys in _set_groupings(spec):
        for control in (EXACT, CONTROL, UNKEYED):
            # As of a moment with late records after it (the reference test covers the rest).
            asked: dict[str, Any] = dict(
                date_from=PERIODS[0][0], date_to=PERIODS[0][1], as_of=AS_OF[1], threshold=3,
                orgs=DemoOrgLookup(), disclosure=control)
            together = await compute_sets(conn, spec.id, group_bys=group_bys, **asked)
            alone = [await compute(conn, spec.id, group_by=g, **asked) for g in group_bys]
            assert together == alone, (group_bys, control.perturbs)
            # Only n read of the last grouping (a chart's total): the same n and suppression.
            n_only = await compute_sets(conn, spec.id, group_bys=group_bys, **asked,
                                        n_only=[False] * (len(group_bys) - 1) + [True])
            assert n_only[:-1] == alone[:-1]
            assert [_n_of(row) for row in n_only[-1]["rows"]] == [
                _n_of(row) for row in alone[-1]["rows"]]
    # A chart's total (always-grouped indicators have none: their rows' n is summed).
    charted = {chart.group_by for chart in CHARTS if chart.indicator == spec.id}
    for group_by in charted if not spec.always else ():
        keys = [*spec.always, *group_by]
        assert any(set(sets[0]) == set(keys) for sets in shared), (spec.id, group_by)


def _n_of(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(value for key, value in row.items()
                 if key in ("n", "suppressed") or key not in ("value", *_FIGURES))


# Every figure a row may publish beside its keys, n and suppressed.
_FIGURES = {extra for spec in INDICATORS for extra in spec.extras}


async def test_feedback_recorded_again_counts_its_record_key_once(
    conn: asyncpg.Connection, late_history: History, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Feedback recorded again under new event ids (the late history gives some): its rows
    are marked shared, and the perturbed counts of records, summing the unshared rows' keys
    as they are and the shared rows' distinct keys, are the reference's."""
    await _keyed_history(conn, late_history)
    shared = await conn.fetch("""SELECT feedback_id FROM facts.feedback WHERE shared
        AND local_date BETWEEN $1 AND $2 GROUP BY feedback_id""", *PERIODS[0])
    assert len(shared) >= 2
    keyed = _spy_keyed(monkeypatch)
    for group_by in ([], ["organisation"], ["service"]):
        asked: dict[str, Any] = dict(date_from=PERIODS[0][0], date_to=PERIODS[0][1],
                                     group_by=group_by, as_of=AS_OF[-1], threshold=3,
                                     orgs=DemoOrgLookup(), disclosure=CONTROL)
        reference = await compute(conn, "client_experience", reference=True, **asked)
        assert (await compute(conn, "client_experience", **asked))["rows"] == reference["rows"]
    assert keyed == [True, True, True]
