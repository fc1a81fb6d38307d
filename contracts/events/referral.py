"""Events of the referral service, published on `polku.referral.v1` (EVENTS.md)."""

from datetime import date
from typing import Annotated, ClassVar, Self
from uuid import UUID

from pydantic import Field, model_validator

from contracts.codes import (
    ConsentScope,
    DeclineReason,
    ExitDestination,
    ReferralReason,
    ReferringOrgKind,
    RegionCode,
    ServiceKind,
    Sex,
    Triage,
)
from contracts.events.base import Event, OrganisationId, Score0To10


class ClientRegistered(Event):
    event_type: ClassVar[str] = "ClientRegistered"
    stream_kind: ClassVar[str] = "client"
    stream_id_field: ClassVar[str] = "client_id"

    client_id: UUID
    birth_year: Annotated[int, Field(ge=1800, le=2099)]
    sex: Sex
    home_region: RegionCode


class ConsentGiven(Event):
    event_type: ClassVar[str] = "ConsentGiven"
    stream_kind: ClassVar[str] = "client"
    stream_id_field: ClassVar[str] = "client_id"

    client_id: UUID
    consent_id: UUID
    scope: ConsentScope
    organisation_ids: list[OrganisationId]
    valid_until: date | None

    @model_validator(mode="after")
    def _research_names_no_organisation(self) -> Self:
        if self.scope is ConsentScope.RESEARCH and self.organisation_ids:
            raise ValueError("organisation_ids must be empty for a research consent")
        return self


class ConsentWithdrawn(Event):
    event_type: ClassVar[str] = "ConsentWithdrawn"
    stream_kind: ClassVar[str] = "client"
    stream_id_field: ClassVar[str] = "client_id"

    client_id: UUID
    consent_id: UUID


class PersonalDataErased(Event):
    event_type: ClassVar[str] = "PersonalDataErased"
    stream_kind: ClassVar[str] = "client"
    stream_id_field: ClassVar[str] = "client_id"

    client_id: UUID


class ReferralMade(Event):
    event_type: ClassVar[str] = "ReferralMade"
    stream_kind: ClassVar[str] = "referral"
    stream_id_field: ClassVar[str] = "referral_id"

    referral_id: UUID
    client_id: UUID
    referring_organisation_id: OrganisationId | None
    referring_org_kind: ReferringOrgKind
    target_organisation_id: OrganisationId
    target_service: ServiceKind
    reasons: Annotated[list[ReferralReason], Field(min_length=1)]
    triage: Triage | None
    unemployment_months: Annotated[int, Field(ge=0, le=600)] | None


class ReferralAccepted(Event):
    event_type: ClassVar[str] = "ReferralAccepted"
    stream_kind: ClassVar[str] = "referral"
    stream_id_field: ClassVar[str] = "referral_id"

    referral_id: UUID
    client_id: UUID
    case_id: UUID


class ReferralDeclined(Event):
    event_type: ClassVar[str] = "ReferralDeclined"
    stream_kind: ClassVar[str] = "referral"
    stream_id_field: ClassVar[str] = "referral_id"

    referral_id: UUID
    client_id: UUID
    reason: DeclineReason
    redirected_service: ServiceKind | None


class ReferralWithdrawn(Event):
    event_type: ClassVar[str] = "ReferralWithdrawn"
    stream_kind: ClassVar[str] = "referral"
    stream_id_field: ClassVar[str] = "referral_id"

    referral_id: UUID
    client_id: UUID


class CaseOpened(Event):
    event_type: ClassVar[str] = "CaseOpened"
    stream_kind: ClassVar[str] = "case"
    stream_id_field: ClassVar[str] = "case_id"

    case_id: UUID
    client_id: UUID
    organisation_id: OrganisationId
    service: ServiceKind
    referral_id: UUID | None
    responsible_worker_id: UUID


class ResponsibilityTransferred(Event):
    event_type: ClassVar[str] = "ResponsibilityTransferred"
    stream_kind: ClassVar[str] = "case"
    stream_id_field: ClassVar[str] = "case_id"

    case_id: UUID
    client_id: UUID
    from_organisation_id: OrganisationId
    from_worker_id: UUID
    to_organisation_id: OrganisationId
    to_worker_id: UUID


class CaseClosed(Event):
    event_type: ClassVar[str] = "CaseClosed"
    stream_kind: ClassVar[str] = "case"
    stream_id_field: ClassVar[str] = "case_id"

    case_id: UUID
    client_id: UUID
    exit_destination: ExitDestination


class ClientFeedbackGiven(Event):
    event_type: ClassVar[str] = "ClientFeedbackGiven"
    stream_kind: ClassVar[str] = "feedback"
    stream_id_field: ClassVar[str] = "feedback_id"

    feedback_id: UUID
    client_id: UUID | None
    organisation_id: OrganisationId
    service: ServiceKind
    score: Score0To10
    felt_heard: bool | None
    helped: bool | None


ReferralEvent = (
    ClientRegistered
    | ConsentGiven
    | ConsentWithdrawn
    | PersonalDataErased
    | ReferralMade
    | ReferralAccepted
    | ReferralDeclined
    | ReferralWithdrawn
    | CaseOpened
    | ResponsibilityTransferred
    | CaseClosed
    | ClientFeedbackGiven
)

REFERRAL_EVENTS: tuple[type[Event], ...] = (
    ClientRegistered,
    ConsentGiven,
    ConsentWithdrawn,
    PersonalDataErased,
    ReferralMade,
    ReferralAccepted,
    ReferralDeclined,
    ReferralWithdrawn,
    CaseOpened,
    ResponsibilityTransferred,
    CaseClosed,
    ClientFeedbackGiven,
)
