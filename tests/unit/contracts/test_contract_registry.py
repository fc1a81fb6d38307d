"""Registry lookups and upcasting of old event data."""

from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4

import pytest

from contracts.codes import Role
from contracts.envelope import Envelope
from contracts.events.base import Event
from contracts.events.referral import ReferralMade
from contracts.registry import (
    REGISTRY,
    Registry,
    UnknownEventType,
    all_models,
    model_for,
    parse_data,
    topic_of,
)
from tests.unit.contracts.contract_samples import EVENT_SAMPLES


class ThingCountedV1(Event):
    event_type: ClassVar[str] = "ThingCounted"
    data_version: ClassVar[int] = 1
    stream_kind: ClassVar[str] = "thing"
    stream_id_field: ClassVar[str] = "thing_id"

    thing_id: UUID
    count: int


class ThingCountedV2(Event):
    event_type: ClassVar[str] = "ThingCounted"
    data_version: ClassVar[int] = 2
    stream_kind: ClassVar[str] = "thing"
    stream_id_field: ClassVar[str] = "thing_id"

    thing_id: UUID
    amount: int
    unit: str


def add_unit(data: dict[str, Any]) -> dict[str, Any]:
    upgraded = dict(data)
    upgraded["amount"] = upgraded.pop("count")
    upgraded["unit"] = "piece"
    return upgraded


def envelope(type_: str, version: int, data: dict[str, Any]) -> Envelope:
    return Envelope(
        id=uuid4(),
        source="polku/test",
        type=type_,
        subject="thing:1",
        time=datetime.now(UTC),
        dataversion=version,
        streamversion=1,
        correlationid="c-1",
        actororg="pirkanmaa-sote",
        actorrole=Role.NURSE,
        actor=str(uuid4()),
        data=data,
    )


def test_parse_data_upcasts_old_data_to_the_newest_model() -> None:
    registry = Registry([ThingCountedV1, ThingCountedV2])
    registry.register_upcaster("ThingCounted", 1, add_unit)
    old = {"thing_id": str(uuid4()), "count": 3, "occurred_at": "2025-01-01T00:00:00Z"}

    parsed = registry.parse_data(envelope("ThingCounted", 1, old))

    assert isinstance(parsed, ThingCountedV2)
    assert (parsed.amount, parsed.unit) == (3, "piece")
    assert registry.model_for("ThingCounted", 1) is ThingCountedV1


def test_current_data_is_parsed_without_upcasting() -> None:
    registry = Registry([ThingCountedV1, ThingCountedV2])
    data = {
        "thing_id": str(uuid4()),
        "amount": 2,
        "unit": "kg",
        "occurred_at": "2025-01-01T00:00:00Z",
    }
    parsed = registry.parse_data(envelope("ThingCounted", 2, data))
    assert isinstance(parsed, ThingCountedV2)


def test_missing_upcaster_unknown_type_and_future_version_are_unknown() -> None:
    registry = Registry([ThingCountedV1, ThingCountedV2])
    old = {"thing_id": str(uuid4()), "count": 3, "occurred_at": "2025-01-01T00:00:00Z"}
    with pytest.raises(UnknownEventType, match="no upcaster"):
        registry.parse_data(envelope("ThingCounted", 1, old))
    with pytest.raises(UnknownEventType):
        registry.parse_data(envelope("ThingVanished", 1, old))
    with pytest.raises(UnknownEventType, match="newer"):
        registry.parse_data(envelope("ThingCounted", 3, old))


def test_a_version_cannot_be_registered_twice_with_different_models() -> None:
    registry = Registry([ThingCountedV1])
    with pytest.raises(ValueError, match="already registered"):
        registry.register_model(type("Other", (ThingCountedV1,), {}))


def test_the_default_registry_knows_every_published_event() -> None:
    assert model_for("ReferralMade", 1) is ReferralMade
    assert topic_of("ReferralMade") == "polku.referral.v1"
    assert len(all_models()) == 30
    assert "ReferralMade" in REGISTRY
    with pytest.raises(UnknownEventType):
        model_for("ReferralMade", 2)
    with pytest.raises(UnknownEventType):
        topic_of("ThingCounted")


def test_parse_data_of_a_published_event() -> None:
    parsed = parse_data(envelope("ReferralMade", 1, EVENT_SAMPLES["ReferralMade"]))
    assert isinstance(parsed, ReferralMade)
