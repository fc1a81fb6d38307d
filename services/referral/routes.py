"""HTTP routes of the referral service (API.md, Referral service)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from contracts.commands.referral import (
    AcceptReferral,
    CloseCase,
    DeclineReferral,
    ErasePersonalData,
    GiveConsent,
    GiveFeedback,
    MakeReferral,
    RegisterClient,
    TransferResponsibility,
    WithdrawConsent,
    WithdrawReferral,
)
from services.referral import handlers
from services.referral.access import ReadPurpose
from services.referral.domain.client import WithdrawConsentById
from services.runtime.responses import respond
from services.runtime.service import Ctx, Meta, Reader

router = APIRouter()


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] | None = None


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    described = {401: "missing, expired or badly signed token", 403: "not allowed",
                 404: "unknown id", 409: "conflicts with the current state",
                 422: "invalid input"}
    return {s: {"model": Problem, "description": described[s]} for s in (401, 422, *statuses)}


class ClientCreated(BaseModel):
    client_id: UUID


class ConsentCreated(BaseModel):
    consent_id: UUID
    client_id: UUID


class ReferralCreated(BaseModel):
    referral_id: UUID


class FeedbackCreated(BaseModel):
    feedback_id: UUID


class StateChanged(BaseModel):
    stream_version: int


class ReferralAcceptedAnswer(StateChanged):
    referral_id: UUID
    case_id: UUID


class ClientRecord(BaseModel):
    client_id: UUID
    erased: bool
    identity_code: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    birth_year: int | None = None
    sex: str | None = None
    home_region: str | None = None


@router.post(
    "/clients", tags=["clients"], status_code=201,
    responses={201: {"model": ClientCreated}, 200: {"model": ClientCreated,
               "description": "already registered: the same client_id"}, **_problems(409)},
)
async def register_client(body: RegisterClient, ctx: Ctx, meta: Meta) -> JSONResponse:
    """Register a client from the identity code; the same code always gives the same id."""
    return respond(await handlers.register_client(ctx, meta, body), "/clients/{client_id}")


@router.post("/clients/{client_id}/consents", tags=["clients"], status_code=201,
             responses={201: {"model": ConsentCreated}, **_problems(404, 409)})
async def give_consent(client_id: UUID, body: GiveConsent, ctx: Ctx, meta: Meta) -> JSONResponse:
    outcome = await handlers.give_consent(ctx, meta, client_id, body)
    return respond(outcome, "/clients/{client_id}/consents/{consent_id}")


@router.delete("/clients/{client_id}/consents/{consent_id}", tags=["clients"],
               responses={200: {"model": StateChanged}, **_problems(404, 409)})
async def withdraw_consent(
    client_id: UUID, consent_id: UUID, ctx: Ctx, meta: Meta,
    body: Annotated[WithdrawConsent | None, Body()] = None,
) -> JSONResponse:
    command = WithdrawConsentById(consent_id, body or WithdrawConsent())
    return respond(await handlers.withdraw_consent(ctx, meta, client_id, command))


@router.post("/clients/{client_id}/erase", tags=["clients"],
             responses={200: {"model": StateChanged}, **_problems(403, 404, 409)})
async def erase_personal_data(
    client_id: UUID, ctx: Ctx, meta: Meta,
    body: Annotated[ErasePersonalData | None, Body()] = None,
) -> JSONResponse:
    """Role admin or data protection officer of the registrar: destroy the client's
    personal-data key (crypto-shredding) and unlink the identity code."""
    outcome = await handlers.erase_personal_data(ctx, meta, client_id,
                                                 body or ErasePersonalData())
    return respond(outcome)


@router.get("/clients/{client_id}", tags=["clients"], response_model=ClientRecord,
            response_model_exclude_none=True, responses=_problems(403, 404))
async def read_client(
    client_id: UUID, ctx: Ctx, principal: Reader,
    purpose: ReadPurpose = Query(ReadPurpose.CLIENT_SERVICE),
) -> JSONResponse:
    """Personal data, only to an involved or consented organisation; every read is recorded."""
    record = await handlers.read_client(ctx, principal, client_id, purpose)
    return JSONResponse(record, headers={"Cache-Control": "no-store"})


@router.post("/referrals", tags=["referrals"], status_code=201,
             responses={201: {"model": ReferralCreated}, **_problems(403, 404, 409)})
async def make_referral(body: MakeReferral, ctx: Ctx, meta: Meta) -> JSONResponse:
    return respond(await handlers.make_referral(ctx, meta, body), "/referrals/{referral_id}")


@router.post("/referrals/{referral_id}/accept", tags=["referrals"],
             responses={200: {"model": ReferralAcceptedAnswer}, **_problems(403, 404, 409)})
async def accept_referral(
    referral_id: UUID, body: AcceptReferral, ctx: Ctx, meta: Meta
) -> JSONResponse:
    """The target organisation accepts; a case opens in the same transaction."""
    return respond(await handlers.decide_referral(ctx, meta, referral_id, body))


@router.post("/referrals/{referral_id}/decline", tags=["referrals"],
             responses={200: {"model": StateChanged}, **_problems(403, 404, 409)})
async def decline_referral(
    referral_id: UUID, body: DeclineReferral, ctx: Ctx, meta: Meta
) -> JSONResponse:
    return respond(await handlers.decide_referral(ctx, meta, referral_id, body))


@router.post("/referrals/{referral_id}/withdraw", tags=["referrals"],
             responses={200: {"model": StateChanged}, **_problems(403, 404, 409)})
async def withdraw_referral(
    referral_id: UUID, ctx: Ctx, meta: Meta,
    body: Annotated[WithdrawReferral | None, Body()] = None,
) -> JSONResponse:
    outcome = await handlers.decide_referral(ctx, meta, referral_id, body or WithdrawReferral())
    return respond(outcome)


@router.post("/cases/{case_id}/transfer", tags=["cases"],
             responses={200: {"model": StateChanged}, **_problems(403, 404, 409)})
async def transfer_responsibility(
    case_id: UUID, body: TransferResponsibility, ctx: Ctx, meta: Meta
) -> JSONResponse:
    return respond(await handlers.change_case(ctx, meta, case_id, body))


@router.post("/cases/{case_id}/close", tags=["cases"],
             responses={200: {"model": StateChanged}, **_problems(403, 404, 409)})
async def close_case(case_id: UUID, body: CloseCase, ctx: Ctx, meta: Meta) -> JSONResponse:
    return respond(await handlers.change_case(ctx, meta, case_id, body))


@router.post("/feedback", tags=["feedback"], status_code=201,
             responses={201: {"model": FeedbackCreated}, **_problems(404)})
async def give_feedback(body: GiveFeedback, ctx: Ctx, meta: Meta) -> JSONResponse:
    return respond(await handlers.give_feedback(ctx, meta, body), "/feedback/{feedback_id}")
