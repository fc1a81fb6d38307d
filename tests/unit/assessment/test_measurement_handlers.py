"""The assessment service's measurement handler on the in-memory stores, with no server: the
three measurements, each recorded by an organisation the access policy lets write about the
client — involved, the referrer, or named in a consent — and refused otherwise, with nothing
appended."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest

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
from contracts.events.base import Event
from services.assessment import handlers
from services.assessment.domain.measurement import MeasurementBody, RecordMeasurement
from services.decider import NotPermitted, UnknownAggregate
from services.runtime.service import ServiceContext
from tests.support.access_facts import (
    AT,
    DAY,
    EMPLOYMENT,
    KELA,
    NGO,
    OUTSIDER,
    SOTE,
    client_in_case,
    consent_given,
    consent_withdrawn,
)
from tests.support.handlers import appended, memory_context, meta, refuses

SCORES = {KykyviisariDomain.WORK_ABILITY: 6.5, KykyviisariDomain.MENTAL_WELLBEING: 7.0}

# Each measurement: its body, and the event it records (given its id and client).
MEASUREMENTS: dict[str, tuple[MeasurementBody, Callable[[uuid.UUID, uuid.UUID], Event]]] = {
    "work ability score": (
        RecordWorkAbilityScore(score=6, phase=MeasurementPhase.BASELINE, occurred_at=AT),
        lambda m, c: WorkAbilityScoreRecorded(measurement_id=m, client_id=c, score=6,
                                              phase=MeasurementPhase.BASELINE, occurred_at=AT)),
    "self-assessment": (
        RecordSelfAssessment(instrument="kykyviisari", phase=MeasurementPhase.INTERIM,
                             domain_scores=SCORES, overall=6.8, occurred_at=AT),
        lambda m, c: SelfAssessmentRecorded(
            measurement_id=m, client_id=c, instrument="kykyviisari",
            phase=MeasurementPhase.INTERIM, domain_scores=SCORES, overall=6.8, occurred_at=AT)),
    "labour market status": (
        RecordLabourMarketStatus(status=LabourMarketStatus.OPEN_MARKET_JOB,
                                 phase=MeasurementPhase.END, occurred_at=AT),
        lambda m, c: LabourMarketStatusRecorded(
            measurement_id=m, client_id=c, phase=MeasurementPhase.END,
            status=LabourMarketStatus.OPEN_MARKET_JOB, occurred_at=AT)),
}


@pytest.fixture
def ctx() -> ServiceContext:
    return memory_context("assessment")


@pytest.mark.parametrize("name", MEASUREMENTS)
@pytest.mark.parametrize("by", [EMPLOYMENT, SOTE], ids=["case holder", "referrer"])
async def test_recording_a_measurement(ctx: ServiceContext, name: str, by: str) -> None:
    case = await client_in_case(ctx, referrer=SOTE, holder=EMPLOYMENT)
    body, recorded = MEASUREMENTS[name]

    outcome = await handlers.record_measurement(ctx, meta(by),
                                                RecordMeasurement(case.client_id, body))

    assert outcome.created
    measurement_id = uuid.UUID(outcome.answer["measurement_id"])
    assert await appended(ctx) == [recorded(measurement_id, case.client_id)]
    assert outcome.stream_versions == {f"measurement:{measurement_id}": 1}


@pytest.mark.parametrize("name", MEASUREMENTS)
async def test_an_uninvolved_organisation_records_none(ctx: ServiceContext, name: str) -> None:
    case = await client_in_case(ctx)
    body, _ = MEASUREMENTS[name]

    await refuses(ctx, NotPermitted, handlers.record_measurement(
        ctx, meta(OUTSIDER), RecordMeasurement(case.client_id, body)))


async def test_a_measurement_of_a_client_never_heard_of(ctx: ServiceContext) -> None:
    body, _ = MEASUREMENTS["work ability score"]

    await refuses(ctx, UnknownAggregate, handlers.record_measurement(
        ctx, meta(EMPLOYMENT), RecordMeasurement(uuid.uuid4(), body)))


async def test_an_organisation_named_in_a_consent_records_one(ctx: ServiceContext) -> None:
    case = await client_in_case(ctx)
    await consent_given(ctx, case.client_id, naming=KELA, by=SOTE)
    body, recorded = MEASUREMENTS["work ability score"]

    outcome = await handlers.record_measurement(ctx, meta(KELA),
                                                RecordMeasurement(case.client_id, body))

    assert await appended(ctx) == [
        recorded(uuid.UUID(outcome.answer["measurement_id"]), case.client_id)]


async def test_a_withdrawn_consent_no_longer_counts(ctx: ServiceContext) -> None:
    case = await client_in_case(ctx)
    consent_id = await consent_given(ctx, case.client_id, naming=KELA, by=SOTE)
    await consent_withdrawn(ctx, case.client_id, consent_id, by=SOTE)
    body, _ = MEASUREMENTS["work ability score"]

    await refuses(ctx, NotPermitted, handlers.record_measurement(
        ctx, meta(KELA), RecordMeasurement(case.client_id, body)), containing="withdrawn")


async def test_an_expired_consent_no_longer_counts(ctx: ServiceContext) -> None:
    case = await client_in_case(ctx)
    await consent_given(ctx, case.client_id, naming=NGO, by=SOTE,
                        valid_until=DAY - timedelta(days=1))
    body, _ = MEASUREMENTS["labour market status"]

    await refuses(ctx, NotPermitted, handlers.record_measurement(
        ctx, meta(NGO), RecordMeasurement(case.client_id, body)), containing="expired")
