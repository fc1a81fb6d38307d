"""The CloudEvents 1.0 envelope (JSON structured mode) around every published event."""

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Self
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_serializer, field_validator

from contracts.codes import Role
from contracts.events.base import Event

_OMITTED_WHEN_NONE = ("clientid", "causationid")


def format_time(value: datetime) -> str:
    """RFC 3339 in UTC with a `Z` suffix."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Envelope(BaseModel):
    """One Kafka message value. Unknown extension attributes are kept, never rejected."""

    # Consumers must accept unknown envelope extensions (EVENTS.md), hence extra="allow".
    model_config = ConfigDict(frozen=True, extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: UUID
    source: Annotated[str, Field(min_length=1)]
    type: Annotated[str, Field(min_length=1)]
    subject: Annotated[str, Field(min_length=1)]
    time: AwareDatetime
    datacontenttype: Literal["application/json"] = "application/json"
    dataversion: Annotated[int, Field(ge=1)]
    streamversion: Annotated[int, Field(ge=1)]
    clientid: UUID | None = None
    correlationid: Annotated[str, Field(min_length=1)]
    causationid: str | None = None
    actororg: Annotated[str, Field(min_length=1)]
    actorrole: Role
    actor: Annotated[str, Field(min_length=1)]
    data: dict[str, Any]

    @field_validator("time")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @field_serializer("time")
    def _rfc3339(self, value: datetime) -> str:
        return format_time(value)

    @classmethod
    def for_event(
        cls,
        event: Event,
        *,
        source: str,
        streamversion: int,
        correlationid: str,
        actororg: str,
        actorrole: Role,
        actor: str,
        causationid: str | None = None,
        time: datetime | None = None,
        id: UUID | None = None,
    ) -> Self:
        """Wrap an event body; subject, type, dataversion and clientid come from the event."""
        return cls(
            id=id or uuid4(),
            source=source,
            type=event.event_type,
            subject=event.stream_id,
            time=time or datetime.now(UTC),
            dataversion=event.data_version,
            streamversion=streamversion,
            clientid=event.client_key,
            correlationid=correlationid,
            causationid=causationid,
            actororg=actororg,
            actorrole=actorrole,
            actor=actor,
            data=event.to_data(),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready attributes; absent optional attributes are left out, not null."""
        attributes = self.model_dump(mode="json")
        for name in _OMITTED_WHEN_NONE:
            if attributes.get(name) is None:
                attributes.pop(name, None)
        return attributes

    def to_json_bytes(self) -> bytes:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_json_bytes(cls, raw: bytes | str) -> Self:
        return cls.model_validate_json(raw)

    @property
    def kafka_key(self) -> str:
        """`clientid`, or `subject` when the event has no client (EVENTS.md, Topics)."""
        return str(self.clientid) if self.clientid is not None else self.subject
