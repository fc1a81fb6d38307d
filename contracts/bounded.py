"""Dates and times of every input, bounded to 1900-01-01 … 2200-12-31 (API.md, Common rules).

A time within the bounds can be converted to UTC or to Finnish local time without overflow,
and PostgreSQL stores it; one outside (`9999-12-31T23:00:00-01:00`, `0001-01-01`) is refused
as a validation error naming the field, never left to fail later as a server error. Dates
are `YYYY-MM-DD` and times RFC 3339 strings: a number is not taken for a Unix timestamp.
"""

from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2200, 12, 31)
EARLIEST_TIME = datetime(1900, 1, 1, tzinfo=UTC)
END_OF_TIME = datetime(2201, 1, 1, tzinfo=UTC)  # exclusive: the first moment past the bounds

RANGE = f"between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}"


def _not_a_number(value: Any) -> Any:
    # bool is an int: `true` is neither a date nor a time.
    if isinstance(value, int | float):
        raise ValueError("must be a string: YYYY-MM-DD for a date, RFC 3339 for a time")
    return value


def bounded_date(value: date) -> date:
    """The date, if it lies within the bounds."""
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(f"date must be {RANGE}")
    return value


def bounded_time(value: datetime) -> datetime:
    """The aware time, if its instant lies within the bounds (in UTC). Comparing aware times
    subtracts their offsets as timedeltas, so this check itself cannot overflow."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("time must have a UTC offset (RFC 3339)")
    if not EARLIEST_TIME <= value < END_OF_TIME:
        raise ValueError(f"time must be {RANGE} (UTC)")
    return value


def in_utc(value: datetime) -> datetime:
    """A bounded time converted to UTC (safe: the bounds leave room for any offset)."""
    return bounded_time(value).astimezone(UTC)


BoundedDate = Annotated[date, BeforeValidator(_not_a_number), AfterValidator(bounded_date)]
"""A `YYYY-MM-DD` date within 1900-01-01 … 2200-12-31."""

BoundedDateTime = Annotated[
    AwareDatetime, BeforeValidator(_not_a_number), AfterValidator(bounded_time)
]
"""An RFC 3339 time with an offset, its instant within 1900-01-01 … 2200-12-31 UTC."""

UtcDateTime = Annotated[
    AwareDatetime, BeforeValidator(_not_a_number), AfterValidator(in_utc)
]
"""A `BoundedDateTime` converted to UTC."""
