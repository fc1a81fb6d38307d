"""Which model validates which `(type, dataversion)`, and how old data is upcast.

A breaking change to an event is a new `dataversion` plus an upcaster that turns data of the
previous version into the new shape; `parse_data` applies the chain up to the newest model.
"""

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel

from contracts.envelope import Envelope
from contracts.events.assessment import ASSESSMENT_EVENTS
from contracts.events.base import Event
from contracts.events.coaching import COACHING_EVENTS
from contracts.events.referral import REFERRAL_EVENTS
from contracts.topics import ASSESSMENT_TOPIC, COACHING_TOPIC, REFERRAL_TOPIC

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class UnknownEventType(LookupError):
    """No model is registered for this event type (or for this version of it)."""


class Registry:
    """Models by `(type, dataversion)` and upcasters by `(type, from_version)`."""

    def __init__(self, models: Iterable[type[Event]] = ()) -> None:
        self._models: dict[tuple[str, int], type[Event]] = {}
        self._latest: dict[str, int] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}
        for model in models:
            self.register_model(model)

    def register_model(self, model: type[Event]) -> None:
        key = (model.event_type, model.data_version)
        if key in self._models and self._models[key] is not model:
            raise ValueError(f"{key[0]} v{key[1]} is already registered")
        self._models[key] = model
        self._latest[key[0]] = max(self._latest.get(key[0], 0), key[1])

    def register_upcaster(self, type_: str, from_version: int, fn: Upcaster) -> None:
        """`fn` turns data of `from_version` into data of `from_version + 1`."""
        if from_version < 1:
            raise ValueError("from_version must be at least 1")
        self._upcasters[(type_, from_version)] = fn

    def model_for(self, type_: str, version: int) -> type[Event]:
        try:
            return self._models[(type_, version)]
        except KeyError:
            raise UnknownEventType(f"no model for {type_} v{version}") from None

    def latest_version(self, type_: str) -> int:
        try:
            return self._latest[type_]
        except KeyError:
            raise UnknownEventType(f"unknown event type {type_}") from None

    def upcast(
        self, type_: str, version: int, data: Mapping[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """Apply upcasters from `version` to the newest registered version."""
        latest = self.latest_version(type_)
        if version > latest:
            raise UnknownEventType(f"{type_} v{version} is newer than the newest known v{latest}")
        if version == latest:
            return version, dict(data)
        upgraded = dict(data)
        while version < latest:
            step = self._upcasters.get((type_, version))
            if step is None:
                raise UnknownEventType(f"no upcaster for {type_} from v{version}")
            upgraded = step(upgraded)
            version += 1
        return version, upgraded

    def parse(self, type_: str, version: int, data: Mapping[str, Any]) -> Event:
        """Validate data of any known version with the newest model, upcasting first."""
        if self._latest.get(type_) == version:  # the common case: no upcasting, no copy
            return self._models[(type_, version)].model_validate(data)
        latest, upgraded = self.upcast(type_, version, data)
        return self.model_for(type_, latest).model_validate(upgraded)

    def parse_data(self, envelope: Envelope) -> Event:
        return self.parse(envelope.type, envelope.dataversion, envelope.data)

    def all_models(self) -> list[type[Event]]:
        """Every registered model, ordered by type then version."""
        return [self._models[key] for key in sorted(self._models)]

    def __contains__(self, type_: object) -> bool:
        return type_ in self._latest


EVENTS_BY_TOPIC: Mapping[str, tuple[type[Event], ...]] = MappingProxyType(
    {
        REFERRAL_TOPIC: REFERRAL_EVENTS,
        ASSESSMENT_TOPIC: ASSESSMENT_EVENTS,
        COACHING_TOPIC: COACHING_EVENTS,
    }
)

EVENT_TYPES_BY_TOPIC: dict[str, frozenset[str]] = {
    topic: frozenset(model.event_type for model in models)
    for topic, models in EVENTS_BY_TOPIC.items()
}

_TOPIC_BY_TYPE: dict[str, str] = {
    event_type: topic for topic, types in EVENT_TYPES_BY_TOPIC.items() for event_type in types
}

REGISTRY = Registry(model for models in EVENTS_BY_TOPIC.values() for model in models)


def topic_of(event_type: str) -> str:
    """The topic an event type is published on."""
    try:
        return _TOPIC_BY_TYPE[event_type]
    except KeyError:
        raise UnknownEventType(f"unknown event type {event_type}") from None


def model_for(type_: str, version: int) -> type[BaseModel]:
    return REGISTRY.model_for(type_, version)


def register_upcaster(type_: str, from_version: int, fn: Upcaster) -> None:
    REGISTRY.register_upcaster(type_, from_version, fn)


def parse_data(envelope: Envelope) -> Event:
    return REGISTRY.parse_data(envelope)


def all_models() -> list[type[Event]]:
    return REGISTRY.all_models()
