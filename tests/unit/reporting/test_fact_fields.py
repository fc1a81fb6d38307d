"""Every field a fact table reads exists on the newest model of its event type.

The fields a fact row reads are taken from its `row` function's attribute loads (the typed
access itself, not a list kept beside it) and checked against the model fields of the
version `contracts.registry` parses that event type to.
"""

from __future__ import annotations

import dis
import enum
import types
import typing
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID, uuid4

import pytest
from pydantic import create_model

from contracts.codes import RegionCode
from contracts.events import assessment as a
from contracts.events.base import Event
from contracts.events.referral import ClientRegistered
from contracts.registry import REGISTRY, Registry, all_models
from services.reporting.projections.facts import FACTS, FactSpec

NOW = datetime(2025, 3, 1, 10, tzinfo=UTC)


def reads(spec: FactSpec[Any]) -> set[str]:
    """The event fields `spec.row` reads (its attribute loads)."""
    return {i.argval for i in dis.get_instructions(spec.row) if i.opname == "LOAD_ATTR"}


def problems(registry: Registry) -> list[str]:
    """Fields a fact row reads that the newest model of its event type in `registry` lacks,
    and specs built on another model than that one."""
    found = []
    for type_, spec in FACTS.items():
        newest = registry.model_for(type_, registry.latest_version(type_))
        found += [f"{spec.table} reads {type_}.{name}, which v{newest.data_version} lacks"
                  for name in sorted(reads(spec) - set(newest.model_fields))]
        if spec.model is not newest:
            found.append(f"{spec.table} is built on {spec.model.__name__}, not on "
                         f"v{newest.data_version} of {type_}")
    return found


def test_every_field_a_fact_table_reads_exists_on_its_newest_event_model() -> None:
    assert problems(REGISTRY) == []
    assert len(FACTS) == 25
    assert sum(len(reads(spec)) for spec in FACTS.values()) == 110


def _renamed_client_registered() -> type[Event]:
    """ClientRegistered v2 with `home_region` renamed to `region` (a breaking change)."""
    fields: dict[str, Any] = {
        name: (info.annotation, info) for name, info in ClientRegistered.model_fields.items()
        if name != "home_region"
    }
    model: type[Event] = create_model(
        "ClientRegisteredV2", __base__=Event, region=(RegionCode, ...), **fields)

    class ClientRegisteredV2(model):
        event_type: ClassVar[str] = "ClientRegistered"
        data_version: ClassVar[int] = 2
        stream_kind: ClassVar[str] = "client"
        stream_id_field: ClassVar[str] = "client_id"

    return ClientRegisteredV2


def test_a_renamed_contract_field_is_caught() -> None:
    registry = Registry([*all_models(), _renamed_client_registered()])

    assert problems(registry) == [
        "clients reads ClientRegistered.home_region, which v2 lacks",
        "clients is built on ClientRegistered, not on v2 of ClientRegistered",
    ]


def _sample(annotation: Any) -> Any:
    """A value of `annotation`'s type; None for an optional one."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _sample(args[0])
    if origin in (typing.Union, types.UnionType):
        return None if type(None) in args else _sample(args[0])
    if origin is typing.Literal:
        return args[0]
    if origin in (list, dict):
        return origin()
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return next(iter(annotation))
    samples = {UUID: uuid4(), str: "x", int: 30, float: 6.5, bool: True,
               date: date(2025, 6, 1), datetime: NOW}
    return samples[annotation]


@pytest.mark.parametrize("type_", sorted(FACTS))
def test_a_fact_row_fills_every_column_with_ids_as_text(type_: str) -> None:
    spec = FACTS[type_]
    event = spec.model.model_construct(occurred_at=NOW, **{
        name: _sample(info.annotation) for name, info in spec.model.model_fields.items()
        if name != "occurred_at"})
    row = spec.row(event)
    assert len(row) == len(spec.columns)
    for value in row:
        assert not isinstance(value, UUID) and value != "None"


def _row(event: Event) -> dict[str, Any]:
    spec = FACTS[event.event_type]
    return dict(zip(spec.columns, spec.row(event), strict=True))


def test_constants_and_conversions_land_in_their_columns() -> None:
    measurement, client = uuid4(), uuid4()
    score = a.WorkAbilityScoreRecorded(
        occurred_at=NOW, measurement_id=measurement, client_id=client, score=7, phase="end")
    status = a.LabourMarketStatusRecorded(
        occurred_at=NOW, measurement_id=measurement, client_id=client, phase="baseline",
        status="unemployed")
    assert _row(score) == {
        "measurement_id": str(measurement), "client_id": str(client),
        "measure": "work_ability_score", "phase": "end", "score": Decimal(7), "status": None,
    }
    assert _row(status) == {
        "measurement_id": str(measurement), "client_id": str(client),
        "measure": "labour_market_status", "phase": "baseline", "score": None,
        "status": "unemployed",
    }
    plan = a.SupportPlanRevised(occurred_at=NOW, plan_id=uuid4(), client_id=client,
                                planned_services=["job_coaching"], review_on=date(2025, 6, 1))
    assert _row(plan)["review_on"] == date(2025, 6, 1)
    assert _row(plan)["case_id"] is None and _row(plan)["change"] == "revised"
