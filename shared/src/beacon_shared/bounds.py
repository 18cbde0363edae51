"""Bounds of what the storage holds, declared once for every API and network payload.

HTTP models use the Annotated types: an out-of-range value is a 422 problem, and the bounds show
in the OpenAPI documents. Network payloads (webhooks, pollers, metrics readers) must accept what
they get, so they go through `count_from_payload` and `timestamp_from_payload`, which clamp or
drop a value with a logged reason instead of failing the neighbours it arrived with.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

import structlog
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from beacon_shared.logging import get_logger

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# Instants every service can store and compute with: far from the ends of Python's datetime
# (years 1 to 9999), which a time zone conversion or a period's arithmetic would cross.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)  # exclusive
_EARLIEST_TEXT, _LATEST_TEXT = "1970-01-01T00:00:00Z", "3000-01-01T00:00:00Z"

# In JSON bodies: a JSON true or false, never 0, 1 or "yes" (which pydantic would otherwise read).
JsonBool = Annotated[bool, Field(strict=True)]

Int32 = Annotated[int, Field(ge=INT32_MIN, le=INT32_MAX)]
Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
NonNegativeInt32 = Annotated[int, Field(ge=0, le=INT32_MAX)]
NonNegativeInt64 = Annotated[int, Field(ge=0, le=INT64_MAX)]

# Pydantic also reads a number (or a string of digits) as a Unix time; a date-time here is text.
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\Z")


def _not_a_number(kind: str, message: str) -> Any:
    def check(value: Any) -> Any:
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if number or (isinstance(value, str) and _NUMBER.match(value.strip())):
            raise PydanticCustomError(kind, message)
        return value

    return check


def in_range(value: datetime) -> bool:
    """Whether an aware instant lies in [EARLIEST, LATEST), its offset applied."""
    try:
        utc = value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 is in year 0 in UTC
        return False
    return EARLIEST <= utc < LATEST


def _storable_instant(value: datetime) -> datetime:
    if not in_range(value):
        raise PydanticCustomError(
            "timestamp_out_of_range",
            "Input should be at or after {earliest} and before {latest}",
            {"earliest": _EARLIEST_TEXT, "latest": _LATEST_TEXT},
        )
    return value


def _storable_date(value: date) -> date:
    if not EARLIEST.date() <= value < LATEST.date():
        raise PydanticCustomError(
            "date_out_of_range",
            "Input should be on or after {earliest} and before {latest}",
            {"earliest": EARLIEST.date().isoformat(), "latest": LATEST.date().isoformat()},
        )
    return value


Timestamp = Annotated[
    AwareDatetime,
    BeforeValidator(
        _not_a_number("datetime_format", "Input should be an RFC 3339 date-time with its offset")
    ),
    AfterValidator(_storable_instant),
    Field(
        json_schema_extra={"formatMinimum": _EARLIEST_TEXT, "formatExclusiveMaximum": _LATEST_TEXT}
    ),
]
"""An RFC 3339 instant with its offset, from 1970 up to (not including) the year 3000 in UTC."""


def _storable_wall_clock(value: datetime) -> datetime:
    # Naive times are read in some zone later: a day's margin keeps any zone's instant in range.
    if value.tzinfo is None and not _WALL_EARLIEST <= value < _WALL_LATEST:
        raise PydanticCustomError(
            "timestamp_out_of_range",
            "Input should be at or after {earliest} and before {latest}",
            {"earliest": _WALL_EARLIEST.isoformat(), "latest": _WALL_LATEST.isoformat()},
        )
    return value


_WALL_EARLIEST = datetime(1970, 1, 2)  # noqa: DTZ001 - a wall-clock time has no zone
_WALL_LATEST = datetime(2999, 12, 31)  # noqa: DTZ001

WallClock = Annotated[
    datetime,
    BeforeValidator(_not_a_number("datetime_format", "Input should be an ISO 8601 date-time")),
    AfterValidator(_storable_wall_clock),
    Field(
        json_schema_extra={
            "formatMinimum": _WALL_EARLIEST.isoformat(),
            "formatExclusiveMaximum": _WALL_LATEST.isoformat(),
        }
    ),
]
"""A wall-clock date-time without offset, to be read in a zone; the same years as Timestamp."""

Day = Annotated[
    date,
    BeforeValidator(_not_a_number("date_format", "Input should be a date, YYYY-MM-DD")),
    AfterValidator(_storable_date),
    Field(
        json_schema_extra={
            "formatMinimum": EARLIEST.date().isoformat(),
            "formatExclusiveMaximum": LATEST.date().isoformat(),
        }
    ),
]
"""A calendar date, from 1970 up to (not including) the year 3000."""


def largest_amount(*, max_digits: int, decimal_places: int) -> Decimal:
    """The largest value a `numeric(max_digits, decimal_places)` column holds."""
    return Decimal(10) ** (max_digits - decimal_places) - Decimal(10) ** -decimal_places


def count_from_payload(
    value: object, *, field: str, source: str, maximum: int = INT64_MAX
) -> int | None:
    """A count a network sent, as storage holds it: None when absent; a value that is not a
    non-negative integer is dropped (None), one above `maximum` clamped to it, with a log line."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        _log().warning("payload.value_dropped", source=source, field=field, reason="not_a_count")
        return None
    if value > maximum:
        _log().warning(
            "payload.value_clamped",
            source=source,
            field=field,
            reason="above_storage_maximum",
            maximum=maximum,
        )
        return maximum
    return value


def timestamp_from_payload(value: datetime | None, *, field: str, source: str) -> datetime | None:
    """An instant a network sent, or None (logged) when storage cannot hold it."""
    if value is None or in_range(value):
        return value
    _log().warning(
        "payload.value_dropped", source=source, field=field, reason="timestamp_out_of_range"
    )
    return None


def _log() -> structlog.stdlib.BoundLogger:
    # A logger bound at each call, not cached in the module: these lines are rare, and a test
    # capturing logs sees them whichever test used the module first.
    return get_logger(__name__)
