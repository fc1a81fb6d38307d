"""The access policy's adapter in the referral service: the client's facts from its own event
store, the verdict as a typed error, the read purposes and the accountability metrics (the
read audit itself is a side record: records.py).

The rules are in services/runtime/access/policy.py; nothing here decides.
"""

from __future__ import annotations

import json
from enum import StrEnum
from uuid import UUID

from services.runtime.access import actor_of, enforce, facts_from_rows
from services.runtime.access.facts import ACCESS_EVENT_TYPES, ClientFacts
from services.runtime.access.policy import Actor, Basis, Verdict
from services.runtime.eventstore import EventStore
from services.runtime.metrics import CONSENTS_BY_REFERRERS, OWN_CONSENT_READS, SELF_REFERRALS

__all__ = ["ReadPurpose", "actor_of", "count_consent", "count_read", "count_referral",
           "enforce", "load_facts"]


class ReadPurpose(StrEnum):
    """Why personal data are read (recorded with the read)."""

    CLIENT_SERVICE = "client_service"
    REFERRAL_HANDLING = "referral_handling"
    CASE_MANAGEMENT = "case_management"
    DATA_SUBJECT_REQUEST = "data_subject_request"


async def load_facts(store: EventStore, client_id: UUID) -> ClientFacts:
    """The client's facts from every stream about it (client, referrals, cases)."""
    stored = await store.read_client(client_id, sorted(ACCESS_EVENT_TYPES))
    envelopes = [json.loads(event.envelope) for event in stored]
    return facts_from_rows((e["type"], e["dataversion"], e["data"], e["actororg"])
                           for e in envelopes)


def count_read(actor: Actor, verdict: Verdict, read: str) -> None:
    if verdict.basis is Basis.OWN_CONSENT:
        OWN_CONSENT_READS.labels(actor.organisation_id, read).inc()


def count_referral(referrer: str | None, target: str) -> None:
    if referrer is not None and referrer == target:
        SELF_REFERRALS.labels(referrer).inc()


def count_consent(actor: Actor, verdict: Verdict) -> None:
    if verdict.basis is Basis.REFERRER:
        CONSENTS_BY_REFERRERS.labels(actor.organisation_id).inc()
