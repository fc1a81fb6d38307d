"""Command bodies of the referral service's HTTP API (API.md)."""

from typing import Annotated, Self
from uuid import UUID

from pydantic import ConfigDict, Field, field_validator, model_validator

from contracts.bounded import BoundedDate
from contracts.codes import (
    ConsentScope,
    DeclineReason,
    ExitDestination,
    ReferralReason,
    ReferringOrgKind,
    RegionCode,
    ServiceKind,
    Triage,
)
from contracts.commands.base import Command, StrictScore0To10
from contracts.events.base import OrganisationId
from contracts.identity import parse_identity_code

PersonName = Annotated[str, Field(min_length=1, max_length=200, repr=False)]


class RegisterClient(Command):
    # The identity code and names are personal data: never echo them in errors or reprs.
    model_config = ConfigDict(hide_input_in_errors=True)

    identity_code: Annotated[str, Field(repr=False)]
    first_name: PersonName
    last_name: PersonName
    home_region: RegionCode

    @field_validator("identity_code")
    @classmethod
    def _valid_identity_code(cls, value: str) -> str:
        normalised = value.strip().upper()
        parse_identity_code(normalised)
        return normalised


class GiveConsent(Command):
    scope: ConsentScope
    organisation_ids: list[OrganisationId] = Field(default_factory=list)
    valid_until: BoundedDate | None = None

    @model_validator(mode="after")
    def _research_names_no_organisation(self) -> Self:
        if self.scope is ConsentScope.RESEARCH and self.organisation_ids:
            raise ValueError("organisation_ids must be empty for a research consent")
        return self


class MakeReferral(Command):
    client_id: UUID
    target_organisation_id: OrganisationId
    target_service: ServiceKind
    reasons: Annotated[list[ReferralReason], Field(min_length=1)]
    triage: Triage | None = None
    unemployment_months: Annotated[int, Field(ge=0, le=600, strict=True)] | None = None
    referring_org_kind: ReferringOrgKind | None = None


class AcceptReferral(Command):
    responsible_worker_id: UUID


class DeclineReferral(Command):
    reason: DeclineReason
    redirected_service: ServiceKind | None = None


class WithdrawReferral(Command):
    pass


class WithdrawConsent(Command):
    pass


class ErasePersonalData(Command):
    pass


class TransferResponsibility(Command):
    to_organisation_id: OrganisationId
    to_worker_id: UUID


class CloseCase(Command):
    exit_destination: ExitDestination


class GiveFeedback(Command):
    client_id: UUID | None = None
    organisation_id: OrganisationId
    service: ServiceKind
    score: StrictScore0To10
    felt_heard: bool | None = None
    helped: bool | None = None
