"""Command handlers of the referral service: load the aggregates, decide, append.

Each handler runs one command through the shared command bus and returns its `Outcome`;
refusals are the typed errors of services/decider.py (the HTTP adapter maps them). Checks
run in the order: the thing exists (404), the caller may act on it (403), the state allows
it (409), the input's references are valid (422) — so a 404 never depends on who asks.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import partial
from typing import Any
from uuid import UUID

from contracts.codes import ReferringOrgKind
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
    WithdrawReferral,
)
from services.decider import (
    Context,
    UnknownAggregate,
)
from services.referral import access
from services.referral.domain import case, client, feedback, referral
from services.referral.domain.client import ClientState, WithdrawConsentById
from services.referral.personal_data import PersonalData, PersonalDataVault
from services.referral.records import PersonalDataRead, PersonalDataRecords, RecordTaken
from services.runtime.access import policy, windows_of
from services.runtime.application import CommandMeta, Decision, Outcome
from services.runtime.errors import (
    ConcurrencyConflict,
    NotFound,
)
from services.runtime.logging import get_logger
from services.runtime.principal import Principal
from services.runtime.service import ServiceContext

log = get_logger(__name__)

VAULT = "personal_data_vault"
RECORDS = "personal_data_records"


def vault_of(ctx: ServiceContext) -> PersonalDataVault:
    vault: PersonalDataVault = ctx.extras[VAULT]
    return vault


def records_of(ctx: ServiceContext) -> PersonalDataRecords:
    """The side records (personal data, identity index, read audit) app.py wired in."""
    records: PersonalDataRecords = ctx.extras[RECORDS]
    return records


def _context(
    ctx: ServiceContext, meta: CommandMeta, *, new_id: UUID | None = None,
    client_state: ClientState | None = None,
) -> Context:
    return Context(
        actor_org=meta.principal.org, actor_role=meta.principal.role, now=datetime.now(UTC),
        organisations=ctx.organisations, new_id=new_id,
        views={"client": client_state} if client_state is not None else {},
    )


async def _load_client(ctx: ServiceContext, client_id: UUID) -> tuple[ClientState, int]:
    loaded = await ctx.bus.load(f"client:{client_id}", client.initial_state, client.evolve)
    return loaded.state, loaded.version


def _actor(ctx: ServiceContext, meta: CommandMeta | Principal) -> policy.Actor:
    principal = meta.principal if isinstance(meta, CommandMeta) else meta
    return access.actor_of(principal, ctx.organisations)


def _client_work(ctx: ServiceContext, meta: CommandMeta, action: str) -> policy.Actor:
    """Commands that act on clients need a client-work role of an organisation that acts."""
    actor = _actor(ctx, meta)
    access.enforce(policy.client_work_verdict(actor), action)
    return actor


def _day(body: Any) -> Any:
    return body.occurred_at_or(datetime.now(UTC)).date()


async def _run(ctx: ServiceContext, meta: CommandMeta, decide: Any) -> Outcome:
    return await ctx.bus.execute(meta, decide)


# Clients, consents, erasure


async def _client_id_for(ctx: ServiceContext, identity_code: str) -> UUID:
    """The client the identity code leads to (the identity index), else the id a new client
    gets: the code's derived id, unless that client was erased — erasure unlinks the code,
    and a later registration is a new, unrelated client (DESIGN.md)."""
    vault = vault_of(ctx)
    indexed = await records_of(ctx).indexed_client(vault.identity_digest(identity_code))
    if indexed is not None:
        return indexed
    derived = vault.client_id_for(identity_code)
    state, _ = await _load_client(ctx, derived)
    return uuid.uuid4() if state.erased else derived


async def register_client(
    ctx: ServiceContext, meta: CommandMeta, body: RegisterClient
) -> Outcome:
    _client_work(ctx, meta, "register_client")
    vault, records = vault_of(ctx), records_of(ctx)

    async def decide() -> Decision:
        client_id = await _client_id_for(ctx, body.identity_code)
        state, version = await _load_client(ctx, client_id)
        events = client.decide(body, state, _context(ctx, meta, new_id=client_id))
        answer = {"client_id": str(client_id)}
        if not events:
            return Decision([], {}, answer)
        sealed = vault.seal(client_id, PersonalData(body.identity_code, body.first_name,
                                                    body.last_name))
        digest = vault.identity_digest(body.identity_code)

        async def store(tx: Any) -> None:
            await records.insert(tx, sealed)
            await records.index_client(tx, digest, client_id)

        return Decision(events, {f"client:{client_id}": version}, answer, created=True,
                        in_transaction=store)

    try:
        response = await _run(ctx, meta, decide)
    except (ConcurrencyConflict, RecordTaken):
        # The same identity code registered concurrently: the retry finds it registered.
        response = await _run(ctx, meta, decide)
    log.info("client.register_answered", created=response.created)
    return response


async def give_consent(
    ctx: ServiceContext, meta: CommandMeta, client_id: UUID, body: GiveConsent
) -> Outcome:
    actor = _client_work(ctx, meta, "record_consent")
    verdicts: list[policy.Verdict] = []

    async def decide() -> Decision:
        state, version = await _load_client(ctx, client_id)
        client.require_registered(state)
        facts = await access.load_facts(ctx.store, client_id)
        verdicts.append(access.enforce(policy.may_record_consent(
            actor, facts, _day(body), windows_of(ctx.settings)), "record_consent"))
        consent_id = uuid.uuid4()
        events = client.decide(body, state, _context(ctx, meta, new_id=consent_id))
        return Decision(events, {f"client:{client_id}": version},
                        {"consent_id": str(consent_id), "client_id": str(client_id)},
                        created=True)

    response = await _run(ctx, meta, decide)
    if verdicts and response.created and not response.replayed:
        access.count_consent(actor, verdicts[-1])
    return response


async def withdraw_consent(
    ctx: ServiceContext, meta: CommandMeta, client_id: UUID, command: WithdrawConsentById
) -> Outcome:
    actor = _client_work(ctx, meta, "withdraw_consent")

    async def decide() -> Decision:
        state, version = await _load_client(ctx, client_id)
        client.require_registered(state)
        if command.consent_id not in state.consents:
            raise UnknownAggregate("the client has no consent with this consent_id")
        facts = await access.load_facts(ctx.store, client_id)
        access.enforce(policy.may_withdraw_consent(
            actor, facts, command.consent_id, _day(command.body), windows_of(ctx.settings)),
            "withdraw_consent")
        events = client.decide(command, state, _context(ctx, meta))
        return Decision(events, {f"client:{client_id}": version},
                        {"client_id": str(client_id), "consent_id": str(command.consent_id)})

    return await _run(ctx, meta, decide)


async def erase_personal_data(
    ctx: ServiceContext, meta: CommandMeta, client_id: UUID, body: ErasePersonalData
) -> Outcome:
    actor = _actor(ctx, meta)

    async def decide() -> Decision:
        state, version = await _load_client(ctx, client_id)
        client.require_registered(state)
        facts = await access.load_facts(ctx.store, client_id)
        access.enforce(policy.may_erase(actor, facts), "erase")
        events = client.decide(body, state, _context(ctx, meta))
        return Decision(events, {f"client:{client_id}": version},
                        {"client_id": str(client_id), "erased": True},
                        in_transaction=partial(records_of(ctx).shred, client_id=client_id))

    response = await _run(ctx, meta, decide)
    log.info("client.personal_data_erased", client_id=str(client_id))
    return response


async def read_client(
    ctx: ServiceContext, principal: Principal, client_id: UUID, purpose: access.ReadPurpose
) -> dict[str, Any]:
    """Personal data to whom the policy allows; every read, granted or refused, recorded.
    An erased client is a 404 to every caller (recorded too)."""
    state, _ = await _load_client(ctx, client_id)
    if not state.registered:
        raise NotFound("no client with this client_id")
    actor, records = _actor(ctx, principal), records_of(ctx)
    if state.erased:
        refused = policy.Verdict.refuse("the client's personal data have been erased")
        await records.record_read(PersonalDataRead.of(client_id, principal, purpose, refused))
        raise NotFound("no client with this client_id")
    facts = await access.load_facts(ctx.store, client_id)
    verdict = policy.may_read_personal_data(actor, facts, datetime.now(UTC).date(),
                                            windows_of(ctx.settings))
    await records.record_read(PersonalDataRead.of(client_id, principal, purpose, verdict))
    access.enforce(verdict, "read_personal_data")
    access.count_read(actor, verdict, "personal_data")
    sealed = await records.load(client_id)
    if sealed is None:
        raise NotFound("no personal data are stored for this client")
    data = vault_of(ctx).open(sealed)
    log.info("client.personal_data_read", client_id=str(client_id), basis=verdict.reason,
             purpose=purpose.value)
    return {
        "client_id": str(client_id), "erased": False,
        "identity_code": data.identity_code, "first_name": data.first_name,
        "last_name": data.last_name, "birth_year": state.birth_year,
        "sex": state.sex.value if state.sex else None,
        "home_region": state.home_region.value if state.home_region else None,
    }


# Referrals


async def make_referral(ctx: ServiceContext, meta: CommandMeta, body: MakeReferral) -> Outcome:
    _client_work(ctx, meta, "make_referral")

    async def decide() -> Decision:
        client_state, _ = await _load_client(ctx, body.client_id)
        referral_id = uuid.uuid4()
        events = referral.decide(body, referral.initial_state, _context(
            ctx, meta, new_id=referral_id, client_state=client_state))
        return Decision(events, {f"referral:{referral_id}": 0},
                        {"referral_id": str(referral_id)}, created=True)

    response = await _run(ctx, meta, decide)
    if not response.replayed and body.referring_org_kind is not ReferringOrgKind.CLIENT_SELF:
        access.count_referral(meta.principal.org, body.target_organisation_id)
    return response


async def decide_referral(
    ctx: ServiceContext, meta: CommandMeta, referral_id: UUID,
    body: AcceptReferral | DeclineReferral | WithdrawReferral,
) -> Outcome:
    _client_work(ctx, meta, "decide_referral")

    async def decide() -> Decision:
        stream = f"referral:{referral_id}"
        loaded = await ctx.bus.load(stream, referral.initial_state, referral.evolve)
        case_id = uuid.uuid4() if isinstance(body, AcceptReferral) else None
        events = referral.decide(body, loaded.state, _context(ctx, meta, new_id=case_id))
        versions = {stream: loaded.version}
        answer = {"referral_id": str(referral_id)}
        if case_id is not None:
            versions[f"case:{case_id}"] = 0
            answer["case_id"] = str(case_id)
        return Decision(events, versions, answer)

    return await _run(ctx, meta, decide)


# Cases


async def change_case(
    ctx: ServiceContext, meta: CommandMeta, case_id: UUID,
    body: TransferResponsibility | CloseCase,
) -> Outcome:
    _client_work(ctx, meta, "change_case")

    async def decide() -> Decision:
        stream = f"case:{case_id}"
        loaded = await ctx.bus.load(stream, case.initial_state, case.evolve)
        events = case.decide(body, loaded.state, _context(ctx, meta))
        return Decision(events, {stream: loaded.version}, {"case_id": str(case_id)})

    return await _run(ctx, meta, decide)


# Feedback


async def give_feedback(ctx: ServiceContext, meta: CommandMeta, body: GiveFeedback) -> Outcome:
    actor = _client_work(ctx, meta, "give_feedback")

    async def decide() -> Decision:
        client_state = None
        if body.client_id is not None:
            client_state, _ = await _load_client(ctx, body.client_id)
            client.require_registered(client_state)
            facts = await access.load_facts(ctx.store, body.client_id)
            access.enforce(policy.may_write_about(actor, facts, _day(body),
                                                  windows_of(ctx.settings)), "give_feedback")
        feedback_id = uuid.uuid4()
        events = feedback.decide(body, feedback.initial_state, _context(
            ctx, meta, new_id=feedback_id, client_state=client_state))
        return Decision(events, {f"feedback:{feedback_id}": 0},
                        {"feedback_id": str(feedback_id)}, created=True)

    return await _run(ctx, meta, decide)
