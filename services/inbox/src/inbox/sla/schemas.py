"""HTTP models of a brand's SLA policy."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import Row

from beacon_shared.bounds import Day

# The longest target: thirty days (of opening time, when there are hours).
MAX_TARGET_SECONDS = 30 * 24 * 3600
MAX_OPENINGS = 7 * 12
MAX_HOLIDAYS = 366
BrandPath = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Opens = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", max_length=5)]
Closes = Annotated[
    str, StringConstraints(pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$", max_length=5)
]
Target = Annotated[int, Field(ge=1, le=MAX_TARGET_SECONDS)]


class Weekday(StrEnum):
    monday = "monday"
    tuesday = "tuesday"
    wednesday = "wednesday"
    thursday = "thursday"
    friday = "friday"
    saturday = "saturday"
    sunday = "sunday"


WEEKDAYS = list(Weekday)


class Opening(BaseModel):
    """One opening of a weekday, in the policy's time zone: `closes` after `opens`, `24:00` for
    midnight at the end of the day. Hours past midnight are the next day's."""

    model_config = ConfigDict(extra="forbid")

    weekday: Weekday
    opens: Opens = Field(examples=["09:00"])
    closes: Closes = Field(examples=["18:00"])


class BusinessHours(BaseModel):
    """The weekly opening hours, and the local dates closed all day."""

    model_config = ConfigDict(extra="forbid")

    weekly: list[Opening] = Field(min_length=1, max_length=MAX_OPENINGS)
    holidays: list[Day] = Field(default_factory=list, max_length=MAX_HOLIDAYS)


class SlaPolicyIn(BaseModel):
    """A brand's SLA targets in seconds (at least one), counted in opening hours when
    `business_hours` is given, else every hour of every day."""

    model_config = ConfigDict(extra="forbid")

    first_response_seconds: Target | None = Field(
        default=None, description="From a message while the brand never answered to its answer."
    )
    next_response_seconds: Target | None = Field(
        default=None, description="From a message after the brand answered to its next answer."
    )
    resolution_seconds: Target | None = Field(
        default=None,
        description="From the first message since the conversation was last resolved to "
        "resolving it.",
    )
    timezone: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="IANA zone of the hours; null: the brand's zone as the workspace configured "
        "it (UTC until the inbox hears of it).",
    )
    business_hours: BusinessHours | None = Field(
        default=None, description="null: every hour of every day counts."
    )


class SlaPolicyOut(SlaPolicyIn):
    brand_id: str
    zone_in_use: str = Field(description="The zone the hours are counted in now.")
    updated_by: str = Field(description="`user:<id>` or `key:<id>`.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> SlaPolicyOut:
        """From an `sla_policy` row."""
        hours = None
        if row.business_hours is not None:
            hours = BusinessHours(
                weekly=[
                    Opening(
                        weekday=WEEKDAYS[o["weekday"]],
                        opens=_clock(o["opens"]),
                        closes=_clock(o["closes"]),
                    )
                    for o in row.business_hours
                ],
                holidays=sorted(row.holidays),
            )
        return cls(
            brand_id=row.brand_id,
            first_response_seconds=row.first_response_seconds,
            next_response_seconds=row.next_response_seconds,
            resolution_seconds=row.resolution_seconds,
            timezone=row.timezone,
            zone_in_use=row.zone,
            business_hours=hours,
            updated_by=row.updated_by,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


def minutes(clock: str) -> int:
    """`HH:MM` as minutes from midnight (`24:00` is 1440)."""
    hours, mins = clock.split(":")
    return int(hours) * 60 + int(mins)


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def holidays_of(hours: BusinessHours | None) -> list[date]:
    """The holidays, once each, in order."""
    return sorted(set(hours.holidays)) if hours is not None else []
