"""The differencing attacker of test_differencing.py: its view of published rows, the four
attacks (complement, period, as_of, share sums) and how each attempt is scored against the
truth (the test module's docstring says what they prove)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from services.reporting.indicators import CATALOGUE, EXACT, INDICATORS, DemoOrgLookup
from services.reporting.indicators.catalogue import Indicator
from services.reporting.indicators.disclosure import DisclosureControl
from services.reporting.indicators.query import Query, load_client_regions
from services.reporting.indicators.report import row_keys
from services.reporting.indicators.rows import aggregate
from tests.integration.reporting.builders import History

LATER = datetime(2030, 1, 1, tzinfo=UTC)
YEAR = (date(2024, 1, 1), date(2024, 12, 31))
THRESHOLD = 5
CONTROL = DisclosureControl.cell_key_method("a-key-of-the-differencing-test")
# The ids are random, so the noise is too: a hit count is a binomial draw. The test allows
# half the attempts, and for few attempts 3.1 standard deviations above the hits expected
# at the chance of two independent noises cancelling (0.335; a false alarm about once in a
# thousand runs): about 0.6 of 31 attempts.
MAX_HIT_RATE = 0.5
CHANCE = 0.335
MIN_ATTEMPTS = 30
SUPPRESSED = [spec for spec in INDICATORS if spec.suppress]

Key = tuple[Any, ...]
Rows = dict[Key, dict[str, Any]]
# An (indicator, group key) pair; the key None stands for the ungrouped row.
Pair = tuple[str, str | None]

# Every pair the attacks must reach: each suppressed indicator by each of its group keys, and
# its ungrouped row unless it is always grouped (then its always keys' rows are the ones
# asked for without group_by).
PAIRS: set[Pair] = {
    *((spec.id, key) for spec in SUPPRESSED for key in spec.group_by),
    *((spec.id, None) for spec in SUPPRESSED if not spec.always),
}
# Pairs that no attack can reach, with the reason; none today. An always-grouped key
# (`exit_destination` of exit_destinations, `from_service` and `to_service` of
# pathway_transitions) has no parent row for a complement, but the period and as_of attacks
# reach its rows (asked for without group_by) and share sums sum over it. The test fails
# when an exempt pair is attacked after all, so that this set stays minimal.
EXEMPT: dict[Pair, str] = {}
# Last days of the period attack per indicator.
PERIOD_DAYS = 8


@dataclass
class View:
    """One query's rows as the attacker sees them (exact: v1; perturbed: v2) and the truth
    (exact, nothing suppressed), each keyed by the row's group values."""

    keys: list[str]
    exact: Rows
    perturbed: Rows
    truth: Rows


@dataclass
class Score:
    attempts: int = 0
    exact_hits: int = 0
    perturbed_hits: int = 0
    # Per pair: [valid attempts, of them right on exact rows].
    pairs: dict[Pair, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    # Per indicator: [valid attempts, of them right on perturbed rows].
    indicators: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))

    def add(self, pairs: list[Pair], truth: int, exact: int, perturbed: int) -> None:
        """One valid attempt on the cells of `pairs` (of one indicator)."""
        self.attempts += 1
        self.exact_hits += exact == truth
        self.perturbed_hits += perturbed == truth
        for pair in pairs:
            self.pairs[pair][0] += 1
            self.pairs[pair][1] += exact == truth
        self.indicators[pairs[0][0]][0] += 1
        self.indicators[pairs[0][0]][1] += perturbed == truth

    def check(self, name: str) -> None:
        """At least MIN_ATTEMPTS, all right on exact rows, perturbed no more often than chance."""
        rate = self.perturbed_hits / max(1, self.attempts)
        print(f"{name}: {self.attempts} attempts over {len(self.indicators)} indicators; "
              f"exact {self.exact_hits}, perturbed {self.perturbed_hits} ({rate:.3f})")
        assert self.attempts >= MIN_ATTEMPTS, name
        assert self.exact_hits == self.attempts, f"{name}: the attack must work on v1 rows"
        n = self.attempts
        allowed = max(n * MAX_HIT_RATE, n * CHANCE + 3.1 * (n * CHANCE * (1 - CHANCE)) ** 0.5)
        assert self.perturbed_hits <= allowed, (
            f"{name}: right {rate:.3f} of the time, more than chance allows ({allowed / n:.3f})")


class Attacker:
    """Asks the reporting database for rows; one item load serves the three views."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.cache: dict[tuple[Any, ...], View] = {}

    async def view(self, spec: Indicator, group_by: list[str], period: tuple[date, date] = YEAR,
                   as_of: datetime = LATER) -> View:
        cached = (spec.id, tuple(group_by), period, as_of)
        if cached not in self.cache:
            self.cache[cached] = await self._view(spec, group_by, period, as_of)
        return self.cache[cached]

    async def _view(self, spec: Indicator, group_by: list[str], period: tuple[date, date],
                    as_of: datetime) -> View:
        keys = row_keys(spec, group_by)
        q = Query(self.conn, period[0], period[1], as_of, DemoOrgLookup(), keys)
        if "region" in keys:
            q.regions = await load_client_regions(self.conn, as_of)
        items = await spec.items(q)

        def rows(control: DisclosureControl, suppress: bool) -> Rows:
            found = aggregate(items, keys=keys, reducer=spec.reducer, extras=spec.extras,
                              n_mode=spec.n_mode, threshold=THRESHOLD, suppress=suppress,
                              empty=spec.empty_row, context=q, disclosure=control)
            return {tuple(r[k] for k in keys): r for r in found}

        return View(keys, rows(EXACT, spec.suppress), rows(CONTROL, spec.suppress),
                    rows(EXACT, False))


async def complement(attacker: Attacker) -> Score:
    """A parent row minus its unsuppressed children gives the one suppressed child: the
    parent ungrouped or grouped by one key, the children by one key more."""
    score = Score()
    for spec in SUPPRESSED:
        free = [k for k in spec.group_by if k not in spec.always]
        pairs = [([], [k]) for k in free] + [([a], [a, b]) for a in free for b in free if a != b]
        for above, below in pairs:
            parent = await attacker.view(spec, above)
            child = await attacker.view(spec, below)
            families: dict[Key, list[Key]] = defaultdict(list)
            for values in child.truth:
                families[values[:-1]].append(values)
            for top, members in families.items():
                hidden = [m for m in members if child.exact[m]["suppressed"]]
                if len(hidden) != 1 or top not in parent.exact or parent.exact[top]["suppressed"]:
                    continue
                others = [m for m in members if m != hidden[0]]
                if parent.truth[top]["n"] != sum(child.truth[o]["n"] for o in members):
                    continue  # clients shared between children: not derivable
                score.add([(spec.id, below[-1])], child.truth[hidden[0]]["n"],
                          parent.exact[top]["n"] - sum(child.exact[o]["n"] for o in others),
                          parent.perturbed[top]["n"]
                          - sum(child.perturbed[o]["n"] for o in others))
    return score


def _difference(score: Score, pairs: list[Pair], wide: View, narrow: View) -> None:
    """Rows published in both views whose n differ by a small count (then their clients
    differ: a count value over the same clients has the same noise as n, so the attacker
    differences n)."""
    for values, row in wide.truth.items():
        other = narrow.truth.get(values)
        if other is None or wide.exact[values]["suppressed"] or narrow.exact[values]["suppressed"]:
            continue
        if not 0 < abs(row["n"] - other["n"]) < THRESHOLD:
            continue  # the same clients (the same noise) or not a small cell
        score.add(pairs, row["n"] - other["n"],
                  wide.exact[values]["n"] - narrow.exact[values]["n"],
                  wide.perturbed[values]["n"] - narrow.perturbed[values]["n"])


def groupings(spec: Indicator) -> list[list[str]]:
    return [[]] + [[k] for k in spec.group_by if k not in spec.always]


def table(spec: Indicator, group_by: list[str]) -> list[Pair]:
    """The pairs whose cells a one-key (or ungrouped) query shows."""
    keys = group_by or list(spec.always)
    return [(spec.id, k) for k in keys] or [(spec.id, None)]


async def period(attacker: Attacker, history: History) -> Score:
    """One period minus the period a day shorter gives the last day's small cell."""
    score = Score()
    for offset, spec in enumerate(SUPPRESSED):
        # Different last days for each indicator: the clients of one day decide whether
        # their cells' noises move together.
        days = days_of(history, spec.id, PERIOD_DAYS, offset)
        for group_by in groupings(spec):
            for last in days:
                wide = await attacker.view(spec, group_by, (YEAR[0], last))
                narrow = await attacker.view(spec, group_by,
                                             (YEAR[0], last - timedelta(days=1)))
                _difference(score, table(spec, group_by), wide, narrow)
    return score


# The event that adds a unit to each indicator's cells (recorded last of the events the
# unit needs).
ADDS = {
    "referrals_made": "ReferralMade", "referral_acceptance_rate": "ReferralAccepted",
    "days_to_assessment": "AssessmentStarted", "active_clients": "CaseOpened",
    "case_duration_days": "CaseClosed", "exit_destinations": "CaseClosed",
    "assessments_completed": "AssessmentCompleted", "health_checks": "HealthCheckCompleted",
    "support_plan_coverage": "CaseOpened", "work_ability_change": "WorkAbilityScoreRecorded",
    "self_assessment_change": "SelfAssessmentRecorded", "follow_up_coverage": "CaseClosed",
    "coaching_employment_rate": "CoachingStarted",
    "days_to_first_employer_contact": "EmployerContacted",
    "placements_started": "PlacementStarted", "placement_retention_90d": "PlacementStarted",
    "client_experience": "ClientFeedbackGiven",
    "responsibility_transfers": "ResponsibilityTransferred",
    "consultations": "ConsultationGiven", "clients_served": "CaseOpened",
    "caseload": "CaseOpened", "referral_queue": "ReferralMade",
    "days_to_support_plan": "SupportPlanAgreed", "measurement_coverage": "CaseClosed",
    "clients_scored": "WorkAbilityScoreRecorded", "repeat_assessments": "AssessmentStarted",
    "pathway_transitions": "CaseClosed", "labour_market_outcome": "LabourMarketStatusRecorded",
    "unemployment_before_referral": "ReferralMade",
}


def adding(history: History, indicator: str, type_: str) -> list[dict[str, Any]]:
    """The events of `type_` that can add a unit to the indicator's cells (a change
    indicator's baselines add none: its units are the later measurements')."""
    later_only = indicator in ("work_ability_change", "self_assessment_change",
                               "labour_market_outcome")
    return [e for e in history.events if e["type"] == type_
            and not (later_only and e["data"].get("phase") == "baseline")]


def moments_of(history: History, indicator: str, count: int, offset: int) -> list[datetime]:
    """When `count` events adding to the indicator, dated in 2024, were recorded, `offset`
    into them (the indicators sharing an event type are attacked through different events:
    one unit's record key decides whether its cells' noises move together)."""
    found = [datetime.fromisoformat(e["time"]) for e in adding(history, indicator, ADDS[indicator])
             if "2024-01-15" <= e["data"]["occurred_at"] < "2024-12"]
    step = max(1, len(found) // (count * 3))
    return found[offset % step::step][:count]


# The event whose date puts a unit in the period, where it is not the one that adds it.
DATED = {"days_to_assessment": "ReferralMade", "days_to_support_plan": "CaseOpened",
         "days_to_first_employer_contact": "CoachingStarted"}


def days_of(history: History, indicator: str, count: int, offset: int) -> list[date]:
    """`count` days in 2024 on which a unit of the indicator was dated, `offset` into them:
    an attacker differences the days on which something happened (the day's cell is then
    not empty), late enough in their month (from the 10th) for the month's row to be
    published the day before too."""
    events = adding(history, indicator, DATED.get(indicator, ADDS[indicator]))
    found = sorted({date.fromisoformat(e["data"]["occurred_at"][:10]) for e in events
                    if "2024-01-10" <= e["data"]["occurred_at"] < "2025"
                    and e["data"]["occurred_at"][8:10] >= "10"})
    step = max(1, len(found) // count)
    return found[offset % step::step][:count]


async def as_of(attacker: Attacker, history: History) -> Score:
    """The rows as of one event later minus the rows before it give that event's cell."""
    score = Score()
    for offset, spec in enumerate(SUPPRESSED):
        for group_by in groupings(spec):
            for moment in moments_of(history, spec.id, 6, offset):
                later = await attacker.view(spec, group_by, YEAR, moment)
                before = await attacker.view(spec, group_by, YEAR,
                                             moment - timedelta(microseconds=1))
                _difference(score, table(spec, group_by), later, before)
    return score


async def share_sums(attacker: Attacker) -> Score:
    """Shares of one parent add up to 1: a total from one child's count and share, times
    one minus the unsuppressed shares, gives the suppressed child's count."""
    score = Score()
    for spec in (CATALOGUE["exit_destinations"], CATALOGUE["pathway_transitions"]):
        own = "exit_destination" if spec.id == "exit_destinations" else "to_service"
        free = [k for k in spec.group_by if k not in spec.always]
        cuts = [*groupings(spec), *([a, b] for a in free for b in free if a < b)]
        for group_by, period in ((g, p) for g in cuts for p in PERIODS):
            view = await attacker.view(spec, group_by, period)
            parent_of = [i for i, k in enumerate(view.keys) if k != own]
            families: dict[Key, list[Key]] = defaultdict(list)
            for values in view.truth:
                families[tuple(values[i] for i in parent_of)].append(values)
            for members in families.values():
                hidden = [m for m in members if view.exact[m]["suppressed"]]
                shown = [m for m in members if not view.exact[m]["suppressed"]]
                if len(hidden) != 1 or not shown:
                    continue
                score.add([(spec.id, own)], view.truth[hidden[0]]["value"],
                          _from_shares(view.exact, shown), _from_shares(view.perturbed, shown))
    return score


# The year, its halves and its quarters: an attacker asks whatever period helps.
PERIODS = [YEAR, *((date(2024, m, 1), date(2024, m + 5, 30)) for m in (1, 7)),
           *((date(2024, m, 1), date(2024, m + 2, 30)) for m in (1, 4, 7, 10))]


def _from_shares(rows: Rows, shown: list[Key]) -> int:
    largest = max(shown, key=lambda m: rows[m]["value"])
    if not rows[largest]["share"]:
        return -1  # the attacker gets nothing from a null or zero share
    total = round(rows[largest]["value"] / rows[largest]["share"])
    return round(total * (1 - sum(rows[m]["share"] or 0 for m in shown)))
