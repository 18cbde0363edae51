"""HTTP models of the analytics API."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from analytics.rollups.dimensions import Dimension, Grain

Value = int | float | None


class Point(BaseModel):
    """The value of one bucket."""

    bucket_start: datetime = Field(description="Start of the bucket (UTC instant).")
    value: Value = Field(description="Null for a ratio whose denominator is zero.")


class PreviousSeries(BaseModel):
    """The same metric over the period of the same length just before."""

    start: datetime
    end: datetime
    points: list[Point]
    total: Value


class Series(BaseModel):
    """One metric over time; buckets without any row are left out."""

    metric: str
    grain: Grain
    start: datetime = Field(description="`from`, inclusive: buckets starting at or after it.")
    end: datetime = Field(description="`to`, exclusive: buckets starting before it.")
    brand_id: str | None = Field(description="The brand filtered on; null for every brand.")
    dimension: Dimension = Field(description="The dimension filtered on (`total`: none).")
    key: str | None = Field(description="Its key, e.g. `facebook:12345` for an account.")
    points: list[Point]
    total: Value = Field(description="The metric over the whole range.")
    previous: PreviousSeries | None = Field(
        default=None, description="With `compare=true`: the previous period."
    )
    change: float | None = Field(
        default=None, description="Relative change of the total from the previous period."
    )


class Figure(BaseModel):
    """One headline figure over the period and the previous one."""

    current: Value
    previous: Value
    change: float | None = Field(
        description="(current - previous) / |previous|; null when previous is zero or unknown."
    )
    basis: str | None = Field(
        default=None,
        description="For ratios: the denominator used (e.g. `impressions`, or `posts.published` "
        "for the engagement rate when no impression is known).",
    )


class Summary(BaseModel):
    """Every figure over [start, end) and over the period of the same length just before."""

    start: datetime
    end: datetime
    previous_start: datetime
    previous_end: datetime
    brand_id: str | None
    dimension: Dimension
    key: str | None
    figures: dict[str, Figure] = Field(description="Every metric of the catalogue by name.")


class BreakdownItem(BaseModel):
    """A metric's value for one key of the dimension."""

    key: str
    value: Value


class Breakdown(BaseModel):
    """One metric per key of a dimension, highest first."""

    metric: str
    by: str = Field(description="The dimension, or `brand`.")
    start: datetime
    end: datetime
    brand_id: str | None
    items: list[BreakdownItem]


class TopKind(StrEnum):
    """What a ranking ranks."""

    posts = "posts"
    authors = "authors"
    advocates = "advocates"


class Publication(BaseModel):
    """Where a post went out."""

    network: str
    external_id: str
    account: str | None = Field(description="`<network>:<account's external id>`.")


class RankedPost(BaseModel):
    """A post published through Beacon and its value of the ranking metric."""

    post_id: str
    value: int
    campaign_id: str | None
    publications: list[Publication]


class RankedAuthor(BaseModel):
    """An author (anyone who interacted with the brand) and its value of the ranking metric."""

    author: str = Field(description="`<network>:<author's id on it>`.")
    network: str
    author_id: str
    value: int


class Top(BaseModel):
    """A ranking: `posts` for kind posts, `authors` for authors and advocates."""

    kind: TopKind
    metric: str
    start: datetime
    end: datetime
    posts: list[RankedPost]
    authors: list[RankedAuthor]


class MetricInfo(BaseModel):
    """A metric of the catalogue."""

    name: str
    description: str
    kind: str = Field(description="`stored`, `sum` or `ratio`.")
