"""Base class and shared field types of every event body (the envelope's `data`)."""

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

OrganisationId = Annotated[str, Field(min_length=1, max_length=200)]
"""An organisation registry id such as `kymenlaakso-sote`; never a UUID."""

Score0To10 = Annotated[int, Field(ge=0, le=10)]
Number0To10 = Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)]


class Event(BaseModel):
    """One event body. Subclasses name their type, stream kind and stream id field."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    data_version: ClassVar[int] = 1
    stream_kind: ClassVar[str]
    stream_id_field: ClassVar[str]

    occurred_at: AwareDatetime

    @field_validator("occurred_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @property
    def stream_id(self) -> str:
        """The envelope `subject`: `<stream kind>:<uuid>`."""
        return f"{self.stream_kind}:{getattr(self, self.stream_id_field)}"

    @property
    def client_key(self) -> UUID | None:
        """The envelope `clientid`: the pseudonymous client, when the event has one."""
        value = getattr(self, "client_id", None)
        return value if isinstance(value, UUID) else None

    def to_data(self) -> dict[str, Any]:
        """The body as JSON-ready `data` of an envelope."""
        return self.model_dump(mode="json")
