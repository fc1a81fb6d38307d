"""Differencing attacks on published indicator rows, written as an attacker would write them,
on a real reporting database holding a random history with many small cells.

Each attack combines published, unsuppressed figures into a small count that suppression
withholds, and is scored against the true count. Without perturbation (the internal exact
mode, which is what v1 published) every valid attack recovers the small count exactly — the
attacks work. With the cell key perturbation (INDICATORS.md, disclosure control) a derived
count is right only by the noise table's chance: two independent noises d1, d2 agree with
P(d1 − d2 = 0) = 0.5² + 2·0.2² + 2·0.05² = 0.335, and a complement over more children is
right less often still. The tolerance: over at least 30 attempts per attack, at most half
are right.

An attempt is *valid* when the attacker's arithmetic holds for the true figures (the
children's units partition the parent's; the two periods' or moments' rows differ in their
clients): only then is the small count derivable at all. The attacker differences `n`: a
count value over the same clients carries the same noise, so it is right exactly when `n` is.

Coverage is asserted per (indicator, group key) pair, the ungrouped row counting as the key
None: every pair of a suppressed indicator gets a valid attempt (EXEMPT would list, with the
reason, a pair no attack can reach), and all of them are right on exact rows. An attempt
counts for the key whose cells it separates: a complement for the key its children add,
period and as_of for the key of their one-key query (without group_by: the always keys, or
the ungrouped row), share sums for the key whose shares add up to 1. Per pair there are too
few attempts for a rate, but per indicator there are enough to tell that not every derived
count is right. The random history has DENSE extra clients for the sparse indicators.

The same cell asked through different queries (group_by order, a month of the year against
that month alone) shows the same figure here; CSV against JSON and the dashboard against the
API are compared over HTTP in tests/e2e/reporting/test_pipeline.py and
tests/e2e/dashboard/test_dashboard.py.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import asyncpg
import pytest

from services.reporting.indicators import CATALOGUE, INDICATORS, DemoOrgLookup, compute
from services.reporting.projections import project
from tests.integration.reporting.builders import History
from tests.integration.reporting.differencing import (
    ADDS,
    CONTROL,
    EXEMPT,
    LATER,
    PAIRS,
    SUPPRESSED,
    THRESHOLD,
    YEAR,
    Attacker,
    Pair,
    as_of,
    complement,
    period,
    share_sums,
)
from tests.integration.reporting.random_history import random_history

# Clients added to the default random history whose pathways go through every sparse
# indicator (transfers, placements, self-assessments, closes): without them 8 pairs, such as
# placements_started by kind or by month, get no valid attempt.
DENSE = 250
# Valid attempts on each indicator (over its pairs and the attacks), not all right.
ALL_RIGHT = 30


@pytest.fixture
def history() -> History:
    return random_history(dense=DENSE)


@pytest.fixture
async def attacker(conn: asyncpg.Connection, history: History) -> Attacker:
    async with conn.transaction():
        await project(conn, history.envelopes())
    return Attacker(conn)


async def test_the_attacks_recover_small_cells_from_exact_rows_but_not_from_perturbed_ones(
    attacker: Attacker, history: History
) -> None:
    assert set(ADDS) == {spec.id for spec in SUPPRESSED}
    scores = {
        "complement": await complement(attacker),
        "period": await period(attacker, history),
        "as_of": await as_of(attacker, history),
        "share sums": await share_sums(attacker),
    }
    for name, score in scores.items():
        score.check(name)
    # Every (indicator, group key) pair is attacked, and every attack on it works on v1 rows.
    tried: dict[Pair, dict[str, list[int]]] = defaultdict(dict)
    for name, score in scores.items():
        for pair, tally in score.pairs.items():
            tried[pair][name] = tally
    print(f"pairs: {len(tried)} of {len(PAIRS)} attacked, {len(EXEMPT)} exempt; fewest "
          f"attempts {min(sum(n for n, _ in by.values()) for by in tried.values())}")
    missed = PAIRS - EXEMPT.keys() - tried.keys()
    assert not missed, f"pairs without a valid attempt: {sorted(missed, key=str)}"
    assert not EXEMPT.keys() & tried.keys(), "an exempt pair is attacked: drop its exemption"
    assert tried.keys() <= PAIRS, tried.keys() - PAIRS
    wrong = {pair: by for pair, by in tried.items() if any(n != ok for n, ok in by.values())}
    assert not wrong, f"attempts wrong on exact rows (attempts, right): {wrong}"
    # Too few attempts per pair for a rate; but an indicator whose every derived count is
    # right over ALL_RIGHT attempts or more is not perturbed: by chance 0.335^30 < 1e-14 for
    # independent attempts (those differencing the same unit are not, but the attempts on
    # an indicator difference dozens of units).
    per_indicator: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for score in scores.values():
        for indicator, (n, right) in score.indicators.items():
            per_indicator[indicator][0] += n
            per_indicator[indicator][1] += right
    print(f"fewest attempts on an indicator: {min(n for n, _ in per_indicator.values())}")
    few = {i: n for i, (n, _) in per_indicator.items() if n < ALL_RIGHT}
    assert not few, f"too few attempts to tell chance from no perturbation: {few}"
    always = [i for i, (n, right) in per_indicator.items() if right == n]
    assert not always, f"every derived count right, as if not perturbed: {always}"
    # Every figure the attacker saw is within the noise of the exact one.
    for (indicator, *_), view in attacker.cache.items():
        counts = ["value"] if CATALOGUE[indicator].zero_value else []
        for values, row in view.perturbed.items():
            exact = view.exact[values]
            assert row["suppressed"] == exact["suppressed"]
            if row["suppressed"] or not exact["n"]:
                assert row == exact
                continue
            assert abs(row["n"] - exact["n"]) <= 2 and row["n"] >= THRESHOLD - 2
            for name in (*counts, *COUNT_EXTRAS):
                if name in row:
                    assert abs(row[name] - exact[name]) <= 2, (name, row, exact)


# Count extras: perturbed like n (`workers` is not: it counts professionals).
COUNT_EXTRAS = ("cases_opened", "cases_closed")


async def test_the_same_cell_shows_the_same_figure_however_it_is_asked_for(
    attacker: Attacker, conn: asyncpg.Connection
) -> None:
    async def published(indicator: str, group_by: list[str],
                        period: tuple[date, date] = YEAR) -> list[dict[str, Any]]:
        result = await compute(conn, indicator, date_from=period[0], date_to=period[1],
                               group_by=group_by, as_of=LATER, threshold=THRESHOLD,
                               orgs=DemoOrgLookup(), disclosure=CONTROL)
        return result["rows"]  # type: ignore[no-any-return]

    def canonical(rows: list[dict[str, Any]]) -> list[tuple[tuple[str, Any], ...]]:
        return sorted((tuple(sorted(r.items(), key=str)) for r in rows), key=str)

    compared = 0
    for spec in INDICATORS:
        free = [k for k in spec.group_by if k not in spec.always]
        if len(free) >= 2:
            # group_by order does not change a cell.
            first = await published(spec.id, free[:2])
            assert canonical(first) == canonical(await published(spec.id, free[1::-1]))
            # The public path publishes what the attacker's view shows.
            view = await attacker.view(spec, free[:2])
            assert canonical(first) == canonical(list(view.perturbed.values()))
            compared += len(first)
        if "month" in spec.group_by and spec.id in SAME_MONTH_CELL:
            # A month's row of the year = the one row of that month alone.
            year = await published(spec.id, ["month"])
            for month, end in (("2024-03", 31), ("2024-09", 30)):
                alone = await published(spec.id, [], (date.fromisoformat(f"{month}-01"),
                                                      date.fromisoformat(f"{month}-{end}")))
                of_month = [{k: v for k, v in r.items() if k != "month"}
                            for r in year if r["month"] == month]
                assert canonical(of_month) == canonical(alone), (spec.id, month)
                compared += len(alone)
    assert compared > 200


# Indicators whose month is the date the period selects, so that a month's row of the year
# holds exactly the items of that month alone (the change indicators pick each client's
# latest measurement in the period: a shorter period can pick another one).
SAME_MONTH_CELL = {
    "referrals_made", "referral_acceptance_rate", "days_to_assessment", "case_duration_days",
    "exit_destinations", "assessments_completed", "health_checks", "support_plan_coverage",
    "follow_up_coverage", "days_to_first_employer_contact", "placements_started",
    "placement_retention_90d", "client_experience", "responsibility_transfers",
    "consultations", "days_to_support_plan", "measurement_coverage", "clients_scored",
    "repeat_assessments", "pathway_transitions", "unemployment_before_referral",
}
