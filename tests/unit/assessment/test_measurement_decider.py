"""Measurements: the work ability score is an integer 0–10, Kykyviisari domain scores are
within the instrument's ranges and unknown domains are refused; business time is never
in the future."""

from __future__ import annotations

import math
import uuid
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given as for_all
from hypothesis import strategies as st
from pydantic import ValidationError

from contracts.codes import KykyviisariDomain, LabourMarketStatus, MeasurementPhase
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
from services.assessment.domain import measurement
from services.assessment.domain.measurement import MeasurementBody, RecordMeasurement
from services.decider import InvalidCommand, StateConflict
from tests.support.decider import NOW, Then, context, scenario

MEASUREMENT = uuid.uuid4()
CLIENT = uuid.uuid4()
a_measurement = scenario(measurement)


def when(body: MeasurementBody, *history: Any) -> Then:
    """The body recorded for CLIENT, creating MEASUREMENT, after `history`."""
    return a_measurement.given(*history).when(RecordMeasurement(CLIENT, body),
                                              context(new_id=MEASUREMENT))


def field_refused(then: Then) -> str:
    error = then.raises(InvalidCommand)
    assert isinstance(error, InvalidCommand)
    return error.field


def test_a_work_ability_score_is_recorded() -> None:
    command = RecordWorkAbilityScore(score=4, phase=MeasurementPhase.BASELINE)
    when(command).then(WorkAbilityScoreRecorded(
        measurement_id=MEASUREMENT, client_id=CLIENT, score=4,
        phase=MeasurementPhase.BASELINE, occurred_at=NOW,
    ))


def test_a_self_assessment_is_recorded() -> None:
    command = RecordSelfAssessment(
        instrument="kykyviisari", phase=MeasurementPhase.END,
        domain_scores={KykyviisariDomain.COMPETENCE: 7.5, KykyviisariDomain.WORK_ABILITY: 6},
        overall=6.5, occurred_at=NOW - timedelta(days=1),
    )
    when(command).then(SelfAssessmentRecorded(
        measurement_id=MEASUREMENT, client_id=CLIENT, instrument="kykyviisari",
        phase=MeasurementPhase.END,
        domain_scores={KykyviisariDomain.COMPETENCE: 7.5, KykyviisariDomain.WORK_ABILITY: 6},
        overall=6.5, occurred_at=NOW - timedelta(days=1),
    ))


def test_a_labour_market_status_is_recorded() -> None:
    command = RecordLabourMarketStatus(status=LabourMarketStatus.PAY_SUBSIDISED_JOB,
                                       phase=MeasurementPhase.FOLLOW_UP)
    when(command).then(LabourMarketStatusRecorded(
        measurement_id=MEASUREMENT, client_id=CLIENT, phase=MeasurementPhase.FOLLOW_UP,
        status=LabourMarketStatus.PAY_SUBSIDISED_JOB, occurred_at=NOW,
    ))


def test_a_measurement_is_recorded_once() -> None:
    recorded = when(RecordWorkAbilityScore(score=4, phase=MeasurementPhase.BASELINE)).decided
    when(RecordWorkAbilityScore(score=5, phase=MeasurementPhase.BASELINE), *recorded).raises(
        StateConflict, "already recorded")


def test_a_self_assessment_needs_a_score() -> None:
    assert field_refused(when(RecordSelfAssessment(
        instrument="kykyviisari", phase=MeasurementPhase.BASELINE, domain_scores={}),
    )) == "domain_scores"


def test_occurred_at_after_now_is_rejected() -> None:
    command = RecordLabourMarketStatus(status=LabourMarketStatus.UNEMPLOYED,
                                       phase=MeasurementPhase.BASELINE,
                                       occurred_at=NOW + timedelta(minutes=1))
    assert field_refused(when(command)) == "occurred_at"


@pytest.mark.parametrize("score", [0, 10])
def test_score_bounds_are_inclusive(score: int) -> None:
    measurement.check_work_ability_score(score)


@pytest.mark.parametrize("score", [-1, 11, 2.5, 2.0, True, "7", None])
def test_the_decider_refuses_what_is_not_an_integer_0_to_10(score: object) -> None:
    with pytest.raises(InvalidCommand):
        measurement.check_work_ability_score(score)


@pytest.mark.parametrize("score", [11, -1, 2.5, 2.0, True, "7"])
def test_the_command_refuses_what_is_not_an_integer_0_to_10(score: object) -> None:
    with pytest.raises(ValidationError):
        RecordWorkAbilityScore.model_validate({"score": score, "phase": "baseline"})


@pytest.mark.parametrize(
    ("scores", "overall", "field"),
    [
        ({"luck": 3}, None, "domain_scores.luck"),
        ({"competence": 10.5}, None, "domain_scores.competence"),
        ({"competence": -0.1}, None, "domain_scores.competence"),
        ({"competence": math.nan}, None, "domain_scores.competence"),
        ({"competence": True}, None, "domain_scores.competence"),
        ({"competence": 5}, 10.01, "overall"),
    ],
)
def test_self_assessment_rules(scores: dict[str, Any], overall: float | None,
                               field: str) -> None:
    with pytest.raises(InvalidCommand) as error:
        measurement.check_self_assessment(scores, overall)
    assert error.value.field == field


def test_every_kykyviisari_domain_of_domain_md_has_a_range() -> None:
    assert set(measurement.KYKYVIISARI_RANGES) == {
        "work_ability", "functioning", "mental_wellbeing", "social_participation",
        "physical_functioning", "competence", "everyday_life",
    }
    assert set(measurement.KYKYVIISARI_RANGES.values()) == {(0.0, 10.0)}


@for_all(st.integers())
def test_property_a_score_is_recorded_exactly_when_it_is_0_to_10(score: int) -> None:
    try:
        measurement.check_work_ability_score(score)
        accepted = True
    except InvalidCommand:
        accepted = False
    assert accepted == (0 <= score <= 10)


@for_all(
    st.dictionaries(st.sampled_from(list(KykyviisariDomain)),
                    st.floats(allow_nan=True, allow_infinity=True)),
    st.none() | st.floats(),
)
def test_property_domain_scores_are_accepted_exactly_within_0_to_10(
    scores: dict[KykyviisariDomain, float], overall: float | None
) -> None:
    values = [*scores.values(), *([] if overall is None else [overall])]
    valid = bool(values) and all(math.isfinite(v) and 0 <= v <= 10 for v in values)
    try:
        measurement.check_self_assessment(scores, overall)
        accepted = True
    except InvalidCommand:
        accepted = False
    assert accepted == valid
