"""Wiring of the referral service: routes, migrations, topic and the personal-data vault."""

from __future__ import annotations

from contracts.topics import REFERRAL_TOPIC
from services.referral.handlers import VAULT
from services.referral.personal_data import PersonalDataVault
from services.referral.routes import router
from services.runtime.service import ServiceContext, ServiceDefinition


async def _start(ctx: ServiceContext) -> None:
    ctx.extras[VAULT] = PersonalDataVault(
        master_key=ctx.settings.polku_personal_data_master_key,
        client_id_key=ctx.settings.polku_client_id_key,
        previous_master_key=ctx.settings.polku_personal_data_previous_master_key,
    )


definition = ServiceDefinition(
    name="referral",
    title="Polku referral service",
    default_port=8001,
    routers=[router],
    produces=REFERRAL_TOPIC,
    migrations=["services.referral"],
    read_audit_tables=("personal_data_reads",),
    on_start=_start,
    description="Clients (personal data encrypted, pseudonymous client_id), consents, "
    "referrals, cases and client feedback; publishes polku.referral.v1.",
)
