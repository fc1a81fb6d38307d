"""Events of the assessment service, published on `polku.assessment.v1` (EVENTS.md)."""

from datetime import date
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import Field

from contracts.codes import (
    AssessmentCancelReason,
    AssessmentKind,
    BenefitRecommendation,
    ConsultationTopic,
    KykyviisariDomain,
    LabourMarketStatus,
    MeasurementPhase,
    OrganisationKind,
    Role,
    ServiceKind,
    WorkAbilityConclusion,
)
from contracts.events.base import Event, Number0To10, OrganisationId, Score0To10

DomainScores = dict[KykyviisariDomain, Number0To10]
"""Kykyviisari domain → score normalised to 0–10; every key optional, no other key allowed."""


class AssessmentStarted(Event):
    event_type: ClassVar[str] = "AssessmentStarted"
    stream_kind: ClassVar[str] = "assessment"
    stream_id_field: ClassVar[str] = "assessment_id"

    assessment_id: UUID
    client_id: UUID
    case_id: UUID | None
    organisation_id: OrganisationId
    kind: AssessmentKind
    roles: list[Role]


class AssessmentCompleted(Event):
    event_type: ClassVar[str] = "AssessmentCompleted"
    stream_kind: ClassVar[str] = "assessment"
    stream_id_field: ClassVar[str] = "assessment_id"

    assessment_id: UUID
    client_id: UUID
    conclusion: WorkAbilityConclusion
    recommended_services: list[ServiceKind]
    benefit_recommendation: BenefitRecommendation


class AssessmentCancelled(Event):
    event_type: ClassVar[str] = "AssessmentCancelled"
    stream_kind: ClassVar[str] = "assessment"
    stream_id_field: ClassVar[str] = "assessment_id"

    assessment_id: UUID
    client_id: UUID
    reason: AssessmentCancelReason


class WorkAbilityScoreRecorded(Event):
    event_type: ClassVar[str] = "WorkAbilityScoreRecorded"
    stream_kind: ClassVar[str] = "measurement"
    stream_id_field: ClassVar[str] = "measurement_id"

    measurement_id: UUID
    client_id: UUID
    score: Score0To10
    phase: MeasurementPhase


class SelfAssessmentRecorded(Event):
    event_type: ClassVar[str] = "SelfAssessmentRecorded"
    stream_kind: ClassVar[str] = "measurement"
    stream_id_field: ClassVar[str] = "measurement_id"

    measurement_id: UUID
    client_id: UUID
    instrument: Literal["kykyviisari"]
    phase: MeasurementPhase
    domain_scores: DomainScores
    overall: Number0To10 | None


class LabourMarketStatusRecorded(Event):
    event_type: ClassVar[str] = "LabourMarketStatusRecorded"
    stream_kind: ClassVar[str] = "measurement"
    stream_id_field: ClassVar[str] = "measurement_id"

    measurement_id: UUID
    client_id: UUID
    phase: MeasurementPhase
    status: LabourMarketStatus


class HealthCheckCompleted(Event):
    event_type: ClassVar[str] = "HealthCheckCompleted"
    stream_kind: ClassVar[str] = "healthcheck"
    stream_id_field: ClassVar[str] = "health_check_id"

    health_check_id: UUID
    client_id: UUID
    organisation_id: OrganisationId
    further_assessment_needed: bool


class SupportPlanAgreed(Event):
    event_type: ClassVar[str] = "SupportPlanAgreed"
    stream_kind: ClassVar[str] = "plan"
    stream_id_field: ClassVar[str] = "plan_id"

    plan_id: UUID
    client_id: UUID
    case_id: UUID
    planned_services: Annotated[list[ServiceKind], Field(min_length=1)]
    review_on: date


class SupportPlanRevised(Event):
    event_type: ClassVar[str] = "SupportPlanRevised"
    stream_kind: ClassVar[str] = "plan"
    stream_id_field: ClassVar[str] = "plan_id"

    plan_id: UUID
    client_id: UUID
    planned_services: Annotated[list[ServiceKind], Field(min_length=1)]
    review_on: date


class ConsultationGiven(Event):
    event_type: ClassVar[str] = "ConsultationGiven"
    stream_kind: ClassVar[str] = "consultation"
    stream_id_field: ClassVar[str] = "consultation_id"

    consultation_id: UUID
    client_id: UUID | None
    requesting_organisation_id: OrganisationId
    requesting_org_kind: OrganisationKind
    requester_role: Role
    consultant_organisation_id: OrganisationId
    consultant_role: Role
    topic: ConsultationTopic


AssessmentEvent = (
    AssessmentStarted
    | AssessmentCompleted
    | AssessmentCancelled
    | WorkAbilityScoreRecorded
    | SelfAssessmentRecorded
    | LabourMarketStatusRecorded
    | HealthCheckCompleted
    | SupportPlanAgreed
    | SupportPlanRevised
    | ConsultationGiven
)

ASSESSMENT_EVENTS: tuple[type[Event], ...] = (
    AssessmentStarted,
    AssessmentCompleted,
    AssessmentCancelled,
    WorkAbilityScoreRecorded,
    SelfAssessmentRecorded,
    LabourMarketStatusRecorded,
    HealthCheckCompleted,
    SupportPlanAgreed,
    SupportPlanRevised,
    ConsultationGiven,
)
