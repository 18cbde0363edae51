"""HTTP models of the counters API."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field


class Bucket(StrEnum):
    """The width of one point of a series."""

    minute = "minute"
    hour = "hour"
    day = "day"

    @property
    def width(self) -> timedelta:
        """How long one bucket lasts."""
        return _BUCKET_WIDTHS[self]


_BUCKET_WIDTHS = {
    Bucket.minute: timedelta(minutes=1),
    Bucket.hour: timedelta(hours=1),
    Bucket.day: timedelta(days=1),
}


class CounterPoint(BaseModel):
    """The count of one bucket."""

    bucket_start: datetime = Field(description="Start of the bucket (UTC).")
    count: int


class CounterSeries(BaseModel):
    """One metric over time; buckets without any event are left out."""

    metric: str
    bucket: Bucket
    brand_id: str | None = Field(description="The brand filtered on; null for every brand.")
    points: list[CounterPoint]


class CounterSummary(BaseModel):
    """The total of every metric counted in the range."""

    brand_id: str | None = Field(description="The brand filtered on; null for every brand.")
    totals: dict[str, int] = Field(
        description="Metric name to total; metrics never seen are absent."
    )
