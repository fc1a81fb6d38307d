"""The dashboard's charts: which indicator each draws, grouped how, and its target line.

Targets come from `POLKU_DASHBOARD_TARGETS`, a comma list of `key=value`. A key is an
indicator id or `indicator.field`; each chart names the keys that feed its target line, so
`client_experience=8.5` (002's satisfaction target, a 0–10 mean) lands on the satisfaction
chart and never on the NPS axis, which runs −100…100 (`client_experience.nps=…` sets that).
Shares are fractions, as in the indicator rows: `coaching_employment_rate=0.4` is 40 %
(INDICATORS.md gives that indicator no default target).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from services.reporting.indicators import CATALOGUE


@dataclass(frozen=True)
class Measure:
    """One dataset of a chart: a row field, its label key and how its axis reads."""

    field: str
    label: str
    percent: bool = False
    axis: Literal["y", "y2"] = "y"
    kind: Literal["bar", "line"] = "bar"


@dataclass(frozen=True)
class Chart:
    id: str
    indicator: str
    group_by: tuple[str, ...]
    x: str
    measures: tuple[Measure, ...]
    series: str | None = None  # a row key that splits one measure into stacked datasets
    horizontal: bool = False
    target_keys: tuple[str, ...] = ()
    target_field: str = "value"

    def describe(self, targets: dict[str, float]) -> dict[str, Any]:
        spec = CATALOGUE[self.indicator]
        target = next((targets[k] for k in self.target_keys if k in targets), None)
        return {
            "id": self.id, "indicator": self.indicator, "group_by": list(self.group_by),
            "x": self.x, "series": self.series, "horizontal": self.horizontal,
            "measures": [m.__dict__ for m in self.measures],
            "target": target, "target_field": self.target_field,
            "name_fi": spec.name_fi, "name_en": spec.name_en, "definition": spec.definition,
            "accepts_organisation": "organisation" in spec.group_by,
            "extras": list(spec.extras),
            "percent": [f for f in ("value", *spec.extras) if is_share(f, spec.id)],
        }


_ORG = ("organisation",)
_DAYS = (Measure("value", "median_days"), Measure("p90", "p90_days"))

CHARTS: tuple[Chart, ...] = (
    Chart("referrals_by_source", "referrals_made", ("month", "referring_org_kind"), "month",
          (Measure("value", "referrals"),), series="referring_org_kind"),
    Chart("days_to_assessment", "days_to_assessment", ("region",), "region", _DAYS),
    Chart("active_clients", "active_clients", _ORG, "organisation",
          (Measure("value", "clients"),), horizontal=True),
    Chart("case_duration_days", "case_duration_days", _ORG, "organisation",
          (Measure("value", "median_days"), Measure("mean", "mean_days"),
           Measure("p90", "p90_days")), horizontal=True),
    Chart("exit_destinations", "exit_destinations", ("exit_destination",), "exit_destination",
          (Measure("value", "cases"),), horizontal=True),
    Chart("work_ability_change", "work_ability_change", ("phase",), "phase",
          (Measure("improved_share", "improved_share", percent=True),
           Measure("worsened_share", "worsened_share", percent=True),
           Measure("value", "mean_change", axis="y2"))),
    Chart("coaching_employment_rate", "coaching_employment_rate", _ORG, "organisation",
          (Measure("value", "employment_rate", percent=True),
           Measure("any_placement_share", "any_placement_share", percent=True)),
          horizontal=True, target_keys=("coaching_employment_rate",)),
    Chart("client_experience_nps", "client_experience", _ORG, "organisation",
          (Measure("value", "nps"),), horizontal=True,
          target_keys=("client_experience.nps", "client_experience.value")),
    Chart("client_experience_score", "client_experience", _ORG, "organisation",
          (Measure("mean_score", "mean_score"),), horizontal=True,
          target_keys=("client_experience.mean_score", "client_experience"),
          target_field="mean_score"),
    Chart("referral_queue", "referral_queue", ("target_service",), "target_service",
          (Measure("value", "waiting"),
           Measure("median_wait_days", "median_wait_days", axis="y2")),
          horizontal=True, target_keys=("referral_queue",)),
    Chart("follow_up_coverage", "follow_up_coverage", _ORG, "organisation",
          (Measure("value", "coverage", percent=True),), horizontal=True,
          target_keys=("follow_up_coverage",)),
)


# Indicators whose `value` is a share (a fraction 0…1, shown as a percentage).
SHARE_VALUES = frozenset({
    "referral_acceptance_rate", "support_plan_coverage", "follow_up_coverage",
    "coaching_employment_rate", "placement_retention_90d", "measurement_coverage",
    "labour_market_outcome",
})


def is_share(field: str, indicator: str) -> bool:
    """Whether a row field of the indicator is a fraction (drawn and shown as a percentage)."""
    return (field == "value" and indicator in SHARE_VALUES) or field == "share" or (
        field.endswith("_share") or field.startswith("share_"))


def catalogue_entry(spec_id: str, targets: dict[str, float]) -> dict[str, Any]:
    """What the page needs to draw any indicator of the catalogue as an added chart: the keys
    it may be grouped by (the first one, or one beside an always-grouped key), which of its
    fields are shares, and its target."""
    spec = CATALOGUE[spec_id]
    # A third key would give a category and series more than one row: two keys at most.
    choices = [] if len(spec.always) > 1 else [k for k in spec.group_by if k not in spec.always]
    return {
        "indicator": spec.id, "always": list(spec.always), "group_choices": choices,
        "extras": list(spec.extras), "percent": [
            f for f in ("value", *spec.extras) if is_share(f, spec.id)],
        "definition": spec.definition, "name_fi": spec.name_fi, "name_en": spec.name_en,
        "accepts_organisation": "organisation" in spec.group_by,
        "target": targets.get(spec.id),
    }


class BadTargets(ValueError):
    """`POLKU_DASHBOARD_TARGETS` is not a comma list of key=number."""


def parse_targets(text: str) -> dict[str, float]:
    targets: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        key, sep, value = part.partition("=")
        try:
            if not sep or not key.strip():
                raise ValueError
            targets[key.strip()] = float(value)
        except ValueError:
            raise BadTargets(
                f"POLKU_DASHBOARD_TARGETS: {part!r} is not indicator=number "
                "(e.g. client_experience=8.5,coaching_employment_rate=0.2)"
            ) from None
    return targets
