"""Base class of every HTTP command body (API.md), and the strict numbers commands share."""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contracts.bounded import UtcDateTime

# Strict on the way in: a score is a JSON number, never `true` or `"7"` coerced into one,
# and an integer field takes only integers (2.5 and 2.0 alike are refused).
StrictScore0To10 = Annotated[int, Field(ge=0, le=10, strict=True)]
StrictNumber0To10 = Annotated[float, Field(ge=0, le=10, strict=True, allow_inf_nan=False)]


class Command(BaseModel):
    """A command body. `occurred_at` is business time: optional, aware, bounded (1900–2200)
    and never in the future; it is kept in UTC."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    occurred_at: UtcDateTime | None = None

    @field_validator("occurred_at")
    @classmethod
    def _not_in_future(cls, value: datetime | None) -> datetime | None:
        if value is not None and value > datetime.now(UTC):
            raise ValueError("occurred_at must not be in the future")
        return value

    def occurred_at_or(self, now: datetime) -> datetime:
        """The given business time, or `now` when the caller gave none."""
        return self.occurred_at if self.occurred_at is not None else now
