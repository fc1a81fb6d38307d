"""The access store contract, run over both implementations: PostgresAccessStore on a fresh
database (recording in the consumer's transaction, or its own) and InMemoryAccessStore —
the same facts and case index from the same consumed referral events, a redelivery kept
once, a client or case never heard of."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import pytest

from contracts.codes import ServiceKind
from contracts.events.referral import ReferralAccepted, ResponsibilityTransferred
from services.runtime.access import MIGRATIONS, AccessStore, InMemoryAccessStore
from services.runtime.access.facts import ReferralStatus
from services.runtime.access.store import CaseInfo, PostgresAccessStore
from services.runtime.intake import ConsumedEvent
from services.runtime.migrate import apply_migrations
from tests.support.access_facts import (
    EMPLOYMENT,
    KELA,
    NGO,
    REFERRED_AT,
    SOTE,
    case_closed,
    case_opened,
    made,
    registered,
)
from tests.support.handlers import consumed_events

Record = Callable[[Sequence[ConsumedEvent]], Awaitable[None]]


@dataclass
class Harness:
    store: AccessStore
    record: Record  # as the consumer records: in its transaction where there is one


@pytest.fixture
def memory_harness() -> Harness:
    store = InMemoryAccessStore()
    return Harness(store, store.record)


@pytest.fixture
async def postgres_harness(database_url: str) -> AsyncIterator[Harness]:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    async with pool.acquire() as conn:
        await apply_migrations(conn, "services.runtime", MIGRATIONS)
    store = PostgresAccessStore(pool)

    async def record(events: Sequence[ConsumedEvent]) -> None:
        async with pool.acquire() as conn, conn.transaction():
            await store.record(events, conn)

    yield Harness(store, record)
    await pool.close()


@pytest.fixture(params=["memory", "postgres"])
def harness(request: pytest.FixtureRequest) -> Harness:
    found: Harness = request.getfixturevalue(f"{request.param}_harness")
    return found


def referral_of(client_id: uuid.UUID, referral_id: uuid.UUID, case_id: uuid.UUID,
                worker_id: uuid.UUID) -> tuple[list[ConsumedEvent], list[ConsumedEvent]]:
    """SOTE's registration and referral to EMPLOYMENT; EMPLOYMENT's acceptance and case."""
    return (consumed_events(registered(client_id),
                            made(client_id, referral_id, SOTE, EMPLOYMENT,
                                 ServiceKind.JOB_COACHING), by=SOTE),
            consumed_events(ReferralAccepted(referral_id=referral_id, client_id=client_id,
                                             case_id=case_id, occurred_at=REFERRED_AT),
                            case_opened(client_id, case_id, EMPLOYMENT, ServiceKind.JOB_COACHING,
                                        referral_id=referral_id, worker_id=worker_id),
                            by=EMPLOYMENT))


async def test_the_facts_fold_the_recorded_events_with_their_actororg(harness: Harness) -> None:
    client_id, referral_id, case_id, worker_id = (uuid.uuid4() for _ in range(4))
    referrer, holder = referral_of(client_id, referral_id, case_id, worker_id)

    await harness.record(referrer)
    await harness.record(holder)

    facts = await harness.store.load_client_facts(client_id)
    assert (facts.client_id, facts.registrar) == (client_id, SOTE)
    assert facts.registered_on == REFERRED_AT.date()
    assert facts.referrals[referral_id].status is ReferralStatus.ACCEPTED
    assert facts.referrals[referral_id].case_id == case_id
    assert facts.cases[case_id].holder == EMPLOYMENT


async def test_a_redelivered_event_is_kept_once(harness: Harness) -> None:
    client_id, referral_id, case_id, worker_id = (uuid.uuid4() for _ in range(4))
    referrer, holder = referral_of(client_id, referral_id, case_id, worker_id)
    await harness.record(referrer)
    await harness.record(holder)
    once = await harness.store.load_client_facts(client_id)

    await harness.record([*referrer, *holder])

    assert await harness.store.load_client_facts(client_id) == once


async def test_the_case_index_follows_transfer_and_close(harness: Harness) -> None:
    client_id, referral_id, case_id, worker_id = (uuid.uuid4() for _ in range(4))
    referrer, holder = referral_of(client_id, referral_id, case_id, worker_id)
    await harness.record([*referrer, *holder])
    assert await harness.store.find_case(case_id) == CaseInfo(
        case_id, client_id, EMPLOYMENT, "job_coaching", worker_id, closed=False)

    to_worker = uuid.uuid4()
    await harness.record(consumed_events(ResponsibilityTransferred(
        case_id=case_id, client_id=client_id, from_organisation_id=EMPLOYMENT,
        from_worker_id=worker_id, to_organisation_id=NGO, to_worker_id=to_worker,
        occurred_at=REFERRED_AT + timedelta(days=1)), by=EMPLOYMENT))
    await harness.record(consumed_events(case_closed(client_id, case_id), by=NGO))

    assert await harness.store.find_case(case_id) == CaseInfo(
        case_id, client_id, NGO, "job_coaching", to_worker, closed=True)
    assert (await harness.store.load_client_facts(client_id)).cases[case_id].holder == NGO


async def test_a_client_and_a_case_never_heard_of(harness: Harness) -> None:
    await harness.record(consumed_events(registered(uuid.uuid4()), by=KELA))

    assert not (await harness.store.load_client_facts(uuid.uuid4())).registered
    assert await harness.store.find_case(uuid.uuid4()) is None


async def test_recording_without_the_consumers_transaction(harness: Harness) -> None:
    client_id = uuid.uuid4()

    await harness.store.record(consumed_events(registered(client_id), by=KELA))

    assert (await harness.store.load_client_facts(client_id)).registrar == KELA
