"""Wiring of the referral service: routes, migrations, topic, the personal-data vault and the
side records (PostgreSQL in the service, in memory in the handler tests)."""

from __future__ import annotations

from fastapi import APIRouter

from services.referral.audit_routes import router as audit_router
from services.referral.handlers import RECORDS, VAULT
from services.referral.personal_data import PersonalDataVault
from services.referral.records import PersonalDataRecords, PostgresRecords
from services.referral.routes import router
from services.runtime.service import ServiceContext, write_service


def wire(ctx: ServiceContext, records: PersonalDataRecords) -> None:
    """Give the handlers their vault (keys from the settings) and their side records."""
    ctx.extras[VAULT] = PersonalDataVault(
        master_key=ctx.settings.polku_personal_data_master_key,
        client_id_key=ctx.settings.polku_client_id_key,
        previous_master_key=ctx.settings.polku_personal_data_previous_master_key,
    )
    ctx.extras[RECORDS] = records


async def _start(ctx: ServiceContext) -> None:
    wire(ctx, PostgresRecords(ctx.pool))


api = APIRouter()
api.include_router(router)
api.include_router(audit_router)

definition = write_service(
    "referral", api, title="Polku referral service", on_start=_start,
    migrations=["services.referral"], read_audit_tables=("personal_data_reads",),
    description="Clients (personal data encrypted, pseudonymous client_id), consents, "
    "referrals, cases and client feedback; publishes polku.referral.v1.",
)
