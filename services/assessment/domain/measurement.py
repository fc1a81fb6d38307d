"""Measurements of a client (DOMAIN.md, Instruments): the work ability score, a Kykyviisari
self-assessment, the labour market status. One measurement per stream, recorded once."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
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
from services.assessment.domain.rules import business_time
from services.decider import Context, InvalidCommand, StateConflict

WORK_ABILITY_SCORE_RANGE = (0, 10)
"""Työkykypistemäärä: one integer, current work ability against the lifetime best."""

KYKYVIISARI_RANGES: Mapping[str, tuple[float, float]] = MappingProxyType(
    {domain.value: (0.0, 10.0) for domain in KykyviisariDomain}
)
"""Kykyviisari domains as Polku stores them: reported scores normalised to 0–10."""

KYKYVIISARI_OVERALL_RANGE = (0.0, 10.0)

MeasurementBody = RecordWorkAbilityScore | RecordSelfAssessment | RecordLabourMarketStatus


@dataclass(frozen=True)
class RecordMeasurement:
    """POST /clients/{client_id}/…: the measurement's body plus the client it is about."""

    client_id: UUID
    body: MeasurementBody



@dataclass(frozen=True)
class Measurement:
    recorded: bool = False
    kind: str | None = None
    measurement_id: UUID | None = None


initial_state = Measurement()


def evolve(state: Measurement, event: Event) -> Measurement:
    match event:
        case WorkAbilityScoreRecorded() | SelfAssessmentRecorded() | LabourMarketStatusRecorded():
            return Measurement(recorded=True, kind=event.event_type,
                               measurement_id=event.measurement_id)
    return state


def decide(command: RecordMeasurement, state: Measurement, ctx: Context) -> list[Event]:
    """A measurement creates the stream `ctx.new_id`."""
    if state.recorded:
        raise StateConflict(f"measurement {state.measurement_id} is already recorded")
    body, client_id = command.body, command.client_id
    measurement_id = ctx.require_new_id()
    occurred_at = business_time(body, ctx.now)
    match body:
        case RecordWorkAbilityScore():
            check_work_ability_score(body.score)
            return [WorkAbilityScoreRecorded(
                measurement_id=measurement_id, client_id=client_id, score=body.score,
                phase=body.phase, occurred_at=occurred_at,
            )]
        case RecordSelfAssessment():
            check_self_assessment(body.domain_scores, body.overall)
            return [SelfAssessmentRecorded(
                measurement_id=measurement_id, client_id=client_id,
                instrument=body.instrument, phase=body.phase,
                domain_scores=dict(body.domain_scores), overall=body.overall,
                occurred_at=occurred_at,
            )]
        case RecordLabourMarketStatus():
            return [LabourMarketStatusRecorded(
                measurement_id=measurement_id, client_id=client_id, phase=body.phase,
                status=body.status, occurred_at=occurred_at,
            )]
    raise TypeError(f"not a measurement command: {type(body).__name__}")


def check_work_ability_score(score: object) -> None:
    low, high = WORK_ABILITY_SCORE_RANGE
    if isinstance(score, bool) or not isinstance(score, int):
        raise InvalidCommand("score", "the work ability score is an integer")
    if not low <= score <= high:
        raise InvalidCommand("score", f"the work ability score is from {low} to {high}")


def check_self_assessment(
    domain_scores: Mapping[KykyviisariDomain, float] | Mapping[str, float],
    overall: float | None,
) -> None:
    for domain, score in domain_scores.items():
        if domain not in KYKYVIISARI_RANGES:
            raise InvalidCommand(f"domain_scores.{domain}", "not a Kykyviisari domain")
        _in_range(f"domain_scores.{domain}", score, KYKYVIISARI_RANGES[domain])
    if overall is not None:
        _in_range("overall", overall, KYKYVIISARI_OVERALL_RANGE)
    if not domain_scores and overall is None:
        raise InvalidCommand("domain_scores", "a self-assessment needs at least one score")


def _in_range(field: str, score: object, bounds: tuple[float, float]) -> None:
    low, high = bounds
    if isinstance(score, bool) or not isinstance(score, int | float):
        raise InvalidCommand(field, "must be a number")
    if not math.isfinite(score) or not low <= score <= high:
        raise InvalidCommand(field, f"must be from {low:g} to {high:g}")
