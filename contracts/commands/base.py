"""Base class of every HTTP command body (API.md)."""

from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, field_validator


class Command(BaseModel):
    """A command body. `occurred_at` is business time: optional, aware, never in the future."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    occurred_at: AwareDatetime | None = None

    @field_validator("occurred_at")
    @classmethod
    def _not_in_future(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC)
        if value > datetime.now(UTC):
            raise ValueError("occurred_at must not be in the future")
        return value

    def occurred_at_or(self, now: datetime) -> datetime:
        """The given business time, or `now` when the caller gave none."""
        return self.occurred_at if self.occurred_at is not None else now
