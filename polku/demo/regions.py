"""Calibration of the demo per seed region: volumes, pathway mixes and outcome shares.

Every number here is a row of `calibration.md`, which names its seed (or says it is assumed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from contracts.codes import ReferringOrgKind, RegionCode

REFERENCE_CLIENTS = 2000
"""`--clients` default; volumes scale linearly with clients / REFERENCE_CLIENTS."""
WINDOW_START = date(2024, 1, 8)
WINDOW_END = date(2026, 10, 30)
WORKER_CLIENTS_PER_YEAR = 100
"""000: four responsible workers serve about 400 TTK clients a year."""
COACH_CLIENTS_PER_YEAR = 30
"""Assumed: an IPS coach carries about 15–20 clients at a time over 6–8 months."""


class EpisodeKind(StrEnum):
    """What a referral is for; each maps to the service and team that receives it."""

    ASSESSMENT = "assessment"  # work_ability_assessment, TTK at <region>-sote
    PHYSIO = "physio"  # physical_function_mapping at <region>-sote
    HEALTH_CHECK = "health_check"  # unemployed person's health check at <region>-sote
    COORDINATION = "coordination"  # work ability coordinator at <region>-sote
    COACHING = "coaching"  # IPS job coaching within the coaching team's own client relationship


class Category(StrEnum):
    """What an assessment concluded, which decides benefits, recommendations and exit."""

    BENEFIT = "benefit"  # to the right benefit: sick leave or pension (002)
    EMPLOYMENT = "employment"  # to an employment-promoting service (002)
    REHABILITATION = "rehabilitation"  # to a rehabilitation pathway (001)
    OTHER = "other"
    DROPOUT = "dropout"  # assessment cancelled, client left


class CoachingOutcome(StrEnum):
    OPEN_MARKET = "open_market"  # open_market_job without wage subsidy
    SUBSIDISED = "subsidised"  # pay_subsidised_job with wage subsidy (002: "most of them")
    SUPPORTED_WORK = "supported_work"
    WORK_TRIAL = "work_trial"
    EDUCATION = "education"
    NONE = "none"


@dataclass(frozen=True, eq=False)  # identity: used as a deck card and dict key
class CoachingTeam:
    org: str
    weight: float  # share of the region's coaching pathways
    outcomes: Mapping[CoachingOutcome, float]
    fidelity: tuple[float, float]  # mean item score of the first and of the last review


@dataclass(frozen=True)
class Measures:
    """Shares of cases with each measurement (002: follow-ups mostly not taken)."""

    baseline_score: float = 0.75
    end_given_baseline: float = 0.6
    end_only: float = 0.08
    follow_up: float = 0.2
    kykyviisari: float = 0.35
    kykyviisari_full: float = 0.4  # the rest answer only parts (004)
    labour_market: float = 0.85


DEFAULT_REFERRERS: Mapping[ReferringOrgKind, float] = {
    ReferringOrgKind.EMPLOYMENT_SERVICES: 0.50,
    ReferringOrgKind.WELLBEING_SERVICES: 0.16,
    ReferringOrgKind.MULTISECTORAL_SERVICE: 0.10,
    ReferringOrgKind.CLIENT_SELF: 0.08,
    ReferringOrgKind.KELA: 0.07,
    ReferringOrgKind.NGO: 0.05,
    ReferringOrgKind.EDUCATION: 0.04,
}
DEFAULT_CATEGORIES: Mapping[Category, float] = {
    Category.BENEFIT: 0.15, Category.EMPLOYMENT: 0.35, Category.REHABILITATION: 0.28,
    Category.OTHER: 0.18, Category.DROPOUT: 0.04,
}


@dataclass(frozen=True, eq=False)
class RegionProfile:
    code: RegionCode
    weight: float
    episodes: Mapping[EpisodeKind, float]
    coaching_teams: tuple[CoachingTeam, ...]
    categories: Mapping[Category, float] = field(default_factory=lambda: DEFAULT_CATEGORIES)
    referrers: Mapping[ReferringOrgKind, float] = field(default_factory=lambda: DEFAULT_REFERRERS)
    wait_median_days: float = 35.0
    early_wait_median_days: float | None = None  # before 2025, when queues were long (002)
    plan_delay_days: tuple[int, int] = (3, 21)  # assessment completed → support plan
    research_consent: float = 0.6
    physio_in_assessment: float = 0.15
    doctor_statement: float = 0.1
    repeat_assessment: float = 0.04
    triage_given: float = 0.6
    consultations_per_month: float = 4.0
    measures: Measures = field(default_factory=Measures)

    def org(self, suffix: str) -> str:
        return f"{self.code.value}-{suffix}"


_EMPLOYED_40 = {  # 002: 50 clients, 20 (40 %) to the open labour market, most with wage subsidy
    CoachingOutcome.SUBSIDISED: 0.28, CoachingOutcome.OPEN_MARKET: 0.12,
    CoachingOutcome.WORK_TRIAL: 0.14, CoachingOutcome.EDUCATION: 0.06, CoachingOutcome.NONE: 0.40,
}

REGIONS: tuple[RegionProfile, ...] = (
    RegionProfile(
        code=RegionCode.KESKI_UUSIMAA, weight=0.30,
        episodes={EpisodeKind.ASSESSMENT: 0.62, EpisodeKind.COACHING: 0.12,
                  EpisodeKind.HEALTH_CHECK: 0.10, EpisodeKind.PHYSIO: 0.06,
                  EpisodeKind.COORDINATION: 0.10},
        coaching_teams=(CoachingTeam(
            "keski-uusimaa-ngo", 1.0,
            {CoachingOutcome.SUBSIDISED: 0.18, CoachingOutcome.OPEN_MARKET: 0.12,
             CoachingOutcome.SUPPORTED_WORK: 0.20, CoachingOutcome.WORK_TRIAL: 0.10,
             CoachingOutcome.NONE: 0.40},
            (3.2, 3.9)),),
    ),
    RegionProfile(
        code=RegionCode.VANTAA_KERAVA, weight=0.18,
        episodes={EpisodeKind.ASSESSMENT: 0.30, EpisodeKind.HEALTH_CHECK: 0.28,
                  EpisodeKind.COACHING: 0.30, EpisodeKind.COORDINATION: 0.12},
        coaching_teams=(CoachingTeam(  # 001: 47 clients, 28 (60 %) to education, work trial or work
            "vantaa-kerava-employment", 1.0,
            {CoachingOutcome.SUBSIDISED: 0.14, CoachingOutcome.OPEN_MARKET: 0.08,
             CoachingOutcome.WORK_TRIAL: 0.22, CoachingOutcome.EDUCATION: 0.16,
             CoachingOutcome.NONE: 0.40},
            (3.0, 3.8)),),
        # 001: 28 to a rehabilitation pathway, 7 to pension, rehabilitation allowance or sick
        # leave, of the 78 referred to a doctor's assessment or a health check.
        categories={Category.REHABILITATION: 0.36, Category.BENEFIT: 0.09,
                    Category.EMPLOYMENT: 0.30, Category.OTHER: 0.21, Category.DROPOUT: 0.04},
        wait_median_days=60.0, plan_delay_days=(30, 75), research_consent=0.4,
        doctor_statement=0.5,
    ),
    RegionProfile(
        code=RegionCode.KYMENLAAKSO, weight=0.20,
        episodes={EpisodeKind.ASSESSMENT: 0.30, EpisodeKind.PHYSIO: 0.35,
                  EpisodeKind.COACHING: 0.20, EpisodeKind.HEALTH_CHECK: 0.10,
                  EpisodeKind.COORDINATION: 0.05},
        coaching_teams=(CoachingTeam("kymenlaakso-mtp", 1.0, _EMPLOYED_40, (2.8, 3.4)),),
        # 002: of 105 broad mappings, 30 % to the right benefit, 24 % to an employment service.
        categories={Category.BENEFIT: 0.30, Category.EMPLOYMENT: 0.24,
                    Category.REHABILITATION: 0.22, Category.OTHER: 0.20, Category.DROPOUT: 0.04},
        referrers={ReferringOrgKind.EMPLOYMENT_SERVICES: 0.62,
                   ReferringOrgKind.MULTISECTORAL_SERVICE: 0.16,
                   ReferringOrgKind.WELLBEING_SERVICES: 0.05, ReferringOrgKind.KELA: 0.06,
                   ReferringOrgKind.CLIENT_SELF: 0.06, ReferringOrgKind.NGO: 0.05},
        wait_median_days=45.0, early_wait_median_days=170.0, physio_in_assessment=0.5,
        triage_given=1.0, consultations_per_month=12.0,
        measures=Measures(baseline_score=0.5, end_given_baseline=0.35, end_only=0.15,
                          follow_up=0.05, kykyviisari=0.1),
    ),
    RegionProfile(
        code=RegionCode.PIRKANMAA, weight=0.20,
        episodes={EpisodeKind.ASSESSMENT: 0.35, EpisodeKind.COACHING: 0.22,
                  EpisodeKind.HEALTH_CHECK: 0.18, EpisodeKind.COORDINATION: 0.15,
                  EpisodeKind.PHYSIO: 0.10},
        coaching_teams=(
            CoachingTeam(  # 003: Lempäälä employment services 35 clients, 10 employed
                "pirkanmaa-employment", 0.7,
                {CoachingOutcome.SUBSIDISED: 0.17, CoachingOutcome.OPEN_MARKET: 0.116,
                 CoachingOutcome.WORK_TRIAL: 0.14, CoachingOutcome.NONE: 0.574},
                (3.0, 3.7)),
            CoachingTeam(  # 003: Kangasala and Lempäälä disability services 15 clients, 10 employed
                "pirkanmaa-sote", 0.3,
                {CoachingOutcome.SUBSIDISED: 0.467, CoachingOutcome.OPEN_MARKET: 0.2,
                 CoachingOutcome.SUPPORTED_WORK: 0.133, CoachingOutcome.NONE: 0.2},
                (3.3, 4.0)),
        ),
        referrers={**DEFAULT_REFERRERS, ReferringOrgKind.WELLBEING_SERVICES: 0.20,
                   ReferringOrgKind.EMPLOYMENT_SERVICES: 0.46},
        repeat_assessment=0.10,
        measures=Measures(baseline_score=0.95, end_given_baseline=0.7, end_only=0.03,
                          follow_up=0.25),
    ),
    RegionProfile(
        code=RegionCode.PAIJAT_HAME, weight=0.12,
        episodes={EpisodeKind.COORDINATION: 0.50, EpisodeKind.ASSESSMENT: 0.20,
                  EpisodeKind.HEALTH_CHECK: 0.15, EpisodeKind.COACHING: 0.15},
        coaching_teams=(CoachingTeam(
            "paijat-hame-ngo", 1.0,
            {CoachingOutcome.SUBSIDISED: 0.18, CoachingOutcome.OPEN_MARKET: 0.12,
             CoachingOutcome.WORK_TRIAL: 0.15, CoachingOutcome.EDUCATION: 0.10,
             CoachingOutcome.NONE: 0.45},
            (3.0, 3.6)),),
        # 004: coordinators found the full Kykyviisari heavy and used parts of it.
        measures=Measures(kykyviisari=0.7, kykyviisari_full=0.0),
    ),
)

REGION_BY_CODE: Mapping[str, RegionProfile] = {profile.code.value: profile for profile in REGIONS}
