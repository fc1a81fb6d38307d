"""Command bodies of the assessment service's HTTP API (API.md)."""

from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from contracts.bounded import BoundedDate
from contracts.codes import (
    AssessmentCancelReason,
    AssessmentKind,
    BenefitRecommendation,
    ConsultationTopic,
    KykyviisariDomain,
    LabourMarketStatus,
    MeasurementPhase,
    Role,
    ServiceKind,
    WorkAbilityConclusion,
)
from contracts.commands.base import Command, StrictNumber0To10, StrictScore0To10
from contracts.events.base import OrganisationId

PlannedServices = Annotated[list[ServiceKind], Field(min_length=1)]

StrictDomainScores = dict[KykyviisariDomain, StrictNumber0To10]


class StartAssessment(Command):
    client_id: UUID
    case_id: UUID | None = None
    kind: AssessmentKind
    roles: list[Role] = Field(default_factory=list)


class CompleteAssessment(Command):
    conclusion: WorkAbilityConclusion
    recommended_services: list[ServiceKind] = Field(default_factory=list)
    benefit_recommendation: BenefitRecommendation


class CancelAssessment(Command):
    reason: AssessmentCancelReason


class RecordWorkAbilityScore(Command):
    score: StrictScore0To10
    phase: MeasurementPhase


class RecordSelfAssessment(Command):
    instrument: Literal["kykyviisari"]
    phase: MeasurementPhase
    domain_scores: StrictDomainScores
    overall: StrictNumber0To10 | None = None


class RecordLabourMarketStatus(Command):
    status: LabourMarketStatus
    phase: MeasurementPhase


class CompleteHealthCheck(Command):
    client_id: UUID
    further_assessment_needed: bool


class AgreeSupportPlan(Command):
    client_id: UUID
    case_id: UUID
    planned_services: PlannedServices
    review_on: BoundedDate


class ReviseSupportPlan(Command):
    planned_services: PlannedServices
    review_on: BoundedDate


class GiveConsultation(Command):
    client_id: UUID | None = None
    consultant_organisation_id: OrganisationId
    consultant_role: Role
    topic: ConsultationTopic
