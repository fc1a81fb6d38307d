"""Measurements of a client (DOMAIN.md, Instruments): the work ability score, a Kykyviisari
self-assessment, the labour market status. One measurement per stream, recorded once."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from uuid import UUID

from contracts.codes import KykyviisariDomain
from contracts.commands.assessment import (
    RecordLabourMarketStatus,
    RecordSelfAssessment,
    RecordWorkAbilityScore,
)
from contracts.events.assessment import (
    LabourMarketStatusRecorded,
    SelfAssessmentRecorded,
    WorkAbilityScoreRecorded,
)
from contracts.events.base import Event
from services.assessment.domain.errors import Conflict, Rejected
from services.assessment.domain.rules import business_time

WORK_ABILITY_SCORE_RANGE = (0, 10)
"""Työkykypistemäärä: one integer, current work ability against the lifetime best."""

KYKYVIISARI_RANGES: Mapping[str, tuple[float, float]] = MappingProxyType(
    {domain.value: (0.0, 10.0) for domain in KykyviisariDomain}
)
"""Kykyviisari domains as Polku stores them: reported scores normalised to 0–10."""

KYKYVIISARI_OVERALL_RANGE = (0.0, 10.0)

MeasurementCommand = RecordWorkAbilityScore | RecordSelfAssessment | RecordLabourMarketStatus


@dataclass(frozen=True)
class Measurement:
    recorded: bool = False
    kind: str | None = None


initial_state = Measurement()


def evolve(state: Measurement, event: Event) -> Measurement:
    match event:
        case WorkAbilityScoreRecorded() | SelfAssessmentRecorded() | LabourMarketStatusRecorded():
            return Measurement(recorded=True, kind=event.event_type)
    return state


def decide(
    command: MeasurementCommand, state: Measurement, *, measurement_id: UUID, client_id: UUID,
    now: datetime,
) -> list[Event]:
    if state.recorded:
        raise Conflict(f"measurement {measurement_id} is already recorded")
    occurred_at = business_time(command, now)
    match command:
        case RecordWorkAbilityScore():
            check_work_ability_score(command.score)
            return [WorkAbilityScoreRecorded(
                measurement_id=measurement_id, client_id=client_id, score=command.score,
                phase=command.phase, occurred_at=occurred_at,
            )]
        case RecordSelfAssessment():
            check_self_assessment(command.domain_scores, command.overall)
            return [SelfAssessmentRecorded(
                measurement_id=measurement_id, client_id=client_id,
                instrument=command.instrument, phase=command.phase,
                domain_scores=dict(command.domain_scores), overall=command.overall,
                occurred_at=occurred_at,
            )]
        case RecordLabourMarketStatus():
            return [LabourMarketStatusRecorded(
                measurement_id=measurement_id, client_id=client_id, phase=command.phase,
                status=command.status, occurred_at=occurred_at,
            )]
    raise TypeError(f"not a measurement command: {type(command).__name__}")


def check_work_ability_score(score: object) -> None:
    low, high = WORK_ABILITY_SCORE_RANGE
    if isinstance(score, bool) or not isinstance(score, int):
        raise Rejected("score", "the work ability score is an integer")
    if not low <= score <= high:
        raise Rejected("score", f"the work ability score is from {low} to {high}")


def check_self_assessment(
    domain_scores: Mapping[KykyviisariDomain, float] | Mapping[str, float],
    overall: float | None,
) -> None:
    for domain, score in domain_scores.items():
        if domain not in KYKYVIISARI_RANGES:
            raise Rejected(f"domain_scores.{domain}", "not a Kykyviisari domain")
        _in_range(f"domain_scores.{domain}", score, KYKYVIISARI_RANGES[domain])
    if overall is not None:
        _in_range("overall", overall, KYKYVIISARI_OVERALL_RANGE)
    if not domain_scores and overall is None:
        raise Rejected("domain_scores", "a self-assessment needs at least one score")


def _in_range(field: str, score: object, bounds: tuple[float, float]) -> None:
    low, high = bounds
    if isinstance(score, bool) or not isinstance(score, int | float):
        raise Rejected(field, "must be a number")
    if not math.isfinite(score) or not low <= score <= high:
        raise Rejected(field, f"must be from {low:g} to {high:g}")
