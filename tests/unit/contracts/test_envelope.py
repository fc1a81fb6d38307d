"""The CloudEvents envelope as EVENTS.md specifies it."""

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from contracts.codes import Role
from contracts.envelope import Envelope
from contracts.events.coaching import FidelityReviewRecorded
from contracts.events.referral import ReferralMade
from tests.unit.contracts.contract_samples import CLIENT, EVENT_SAMPLES, OTHER


def attributes(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "specversion": "1.0",
        "id": str(uuid4()),
        "source": "polku/referral",
        "type": "ReferralMade",
        "subject": f"referral:{OTHER}",
        "time": "2025-03-01T09:31:00Z",
        "datacontenttype": "application/json",
        "dataversion": 1,
        "streamversion": 1,
        "clientid": CLIENT,
        "correlationid": "corr-1",
        "actororg": "kymenlaakso-employment",
        "actorrole": "employment_expert",
        "actor": str(uuid4()),
        "data": EVENT_SAMPLES["ReferralMade"],
    }
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}


def test_round_trip_through_bytes() -> None:
    envelope = Envelope.model_validate(attributes(causationid="cmd-1"))
    assert Envelope.from_json_bytes(envelope.to_json_bytes()) == envelope


def test_absent_clientid_and_causationid_are_left_out_and_time_ends_in_z() -> None:
    envelope = Envelope.model_validate(attributes(clientid=None))
    wire = json.loads(envelope.to_json_bytes())
    assert "clientid" not in wire
    assert "causationid" not in wire
    assert wire["time"] == "2025-03-01T09:31:00Z"
    assert wire["data"]["triage"] == "red"


def test_time_must_be_aware_and_is_kept_in_utc() -> None:
    with pytest.raises(ValidationError):
        Envelope.model_validate(attributes(time="2025-03-01T09:31:00"))
    helsinki = datetime(2025, 3, 1, 11, 31, tzinfo=timezone(timedelta(hours=2)))
    envelope = Envelope.model_validate(attributes(time=helsinki))
    assert envelope.time == datetime(2025, 3, 1, 9, 31, tzinfo=UTC)
    assert json.loads(envelope.to_json_bytes())["time"] == "2025-03-01T09:31:00Z"


def test_unknown_extensions_are_accepted_and_kept() -> None:
    raw = json.dumps(attributes(traceparent="00-abc-def-01")).encode()
    envelope = Envelope.from_json_bytes(raw)
    assert json.loads(envelope.to_json_bytes())["traceparent"] == "00-abc-def-01"


@pytest.mark.parametrize(
    "changes",
    [
        {"specversion": "0.3"},
        {"datacontenttype": "text/plain"},
        {"dataversion": 0},
        {"streamversion": 0},
        {"actorrole": "king"},
        {"id": "not-a-uuid"},
        {"clientid": "not-a-uuid"},
    ],
)
def test_invalid_attributes_are_rejected(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Envelope.model_validate(attributes(**changes))


def test_for_event_takes_type_subject_version_and_client_from_the_event() -> None:
    event = ReferralMade.model_validate(EVENT_SAMPLES["ReferralMade"])
    envelope = Envelope.for_event(
        event,
        source="polku/referral",
        streamversion=1,
        correlationid="corr-1",
        actororg="kymenlaakso-employment",
        actorrole=Role.EMPLOYMENT_EXPERT,
        actor=str(uuid4()),
    )
    assert envelope.type == "ReferralMade"
    assert envelope.subject == f"referral:{OTHER}"
    assert envelope.dataversion == 1
    assert envelope.clientid == UUID(CLIENT)
    assert envelope.kafka_key == CLIENT
    assert ReferralMade.model_validate(envelope.data) == event


def test_kafka_key_is_the_subject_when_there_is_no_client() -> None:
    event = FidelityReviewRecorded.model_validate(EVENT_SAMPLES["FidelityReviewRecorded"])
    envelope = Envelope.for_event(
        event,
        source="polku/coaching",
        streamversion=1,
        correlationid="corr-1",
        actororg="vantaa-kerava-ngo",
        actorrole=Role.TEAM_LEAD,
        actor=str(uuid4()),
    )
    assert envelope.clientid is None
    assert envelope.kafka_key == f"fidelity:{OTHER}"
