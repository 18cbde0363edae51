"""The one check of the periods analytics reports on, and its one problem: `invalid_period`.

Two forms of period are served: instants `[start, end)` (rollups, trends, reports) and days
`[first, last]`, both included (share of voice, ROI). Either way, a period that holds nothing or
spans too long is refused with the same problem document, pointing at the end parameter; one
that starts before what is kept (trends), pointing at the start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Literal

from beacon_shared.errors import InvalidInput


class PeriodErrorType(StrEnum):
    """The `type` of the problem's error entry."""

    empty = "period_empty"
    too_long = "period_too_long"
    too_old = "period_too_old"


@dataclass(frozen=True)
class Bounds:
    """What the client called the two ends, and where it sent them (a query or a JSON body)."""

    start: str = "from"
    end: str = "to"
    location: Literal["query", "body"] = "query"

    def pointer(self, *, at_start: bool = False) -> str:
        """The end's (or start's) JSON pointer, in the shape request validation uses."""
        name = self.start if at_start else self.end
        return f"/{name}" if self.location == "body" else f"/{self.location}/{name}"


QUERY = Bounds()


class InvalidPeriod(InvalidInput):
    code, title = "invalid_period", "The period is not valid"

    def __init__(
        self,
        detail: str,
        *,
        bounds: Bounds,
        error_type: PeriodErrorType,
        at_start: bool = False,
    ) -> None:
        super().__init__(
            detail,
            errors=[
                {
                    "pointer": bounds.pointer(at_start=at_start),
                    "location": bounds.location,
                    "type": error_type.value,
                    "message": detail,
                }
            ],
        )


def check_range(
    start: datetime, end: datetime, *, max_span: timedelta, bounds: Bounds = QUERY
) -> None:
    """`[start, end)` holds at least an instant and spans at most `max_span`."""
    if start >= end:
        raise InvalidPeriod(
            f"`{bounds.end}` must be after `{bounds.start}`.",
            bounds=bounds,
            error_type=PeriodErrorType.empty,
        )
    if end - start > max_span:
        raise InvalidPeriod(
            f"The period may span at most {_days(max_span)}.",
            bounds=bounds,
            error_type=PeriodErrorType.too_long,
        )


def check_days(
    first: date | None,
    last: date | None,
    *,
    max_days: int | None = None,
    bounds: Bounds = QUERY,
) -> None:
    """`[first, last]`, both included (either may be open), holds a day and at most `max_days`."""
    if first is None or last is None:
        return
    if last < first:
        raise InvalidPeriod(
            f"`{bounds.end}` must be on or after `{bounds.start}`.",
            bounds=bounds,
            error_type=PeriodErrorType.empty,
        )
    if max_days is not None and (last - first).days + 1 > max_days:
        raise InvalidPeriod(
            f"The period may span at most {max_days} days.",
            bounds=bounds,
            error_type=PeriodErrorType.too_long,
        )


def check_since(start: datetime, *, oldest: datetime, bounds: Bounds = QUERY) -> None:
    """`start` is no earlier than `oldest`, what the figures read are kept since; this error
    points at the period's start."""
    if start < oldest:
        raise InvalidPeriod(
            f"`{bounds.start}` may be no earlier than {oldest.isoformat()}: older figures are "
            "not kept.",
            bounds=bounds,
            error_type=PeriodErrorType.too_old,
            at_start=True,
        )


def _days(span: timedelta) -> str:
    return f"{span.days} days" if span == timedelta(days=span.days) else str(span)
