"""HTTP models of the listening API."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class TermSource(StrEnum):
    """Which texts a term was counted in."""

    comment = "comment"
    own_post = "own_post"
    competitor_post = "competitor_post"


class TermKind(StrEnum):
    """A hashtag (`#coffee`) or a keyword (`coffee`)."""

    hashtag = "hashtag"
    keyword = "keyword"


class Engagement(BaseModel):
    """Posts published in the period and the engagement they earned (latest totals)."""

    posts: int
    likes: int
    comments: int
    shares: int
    engagement: int = Field(description="likes + comments + shares.")
    share: float | None = Field(
        description="Its engagement / everyone's in the period (brand + tracked competitors); "
        "null when nobody had any."
    )
    post_share: float | None = Field(description="Its posts / everyone's; null without posts.")


class AccountEngagement(Engagement):
    """One account's part."""

    network: str
    account_external_id: str
    handle: str | None


class CompetitorEngagement(AccountEngagement):
    """A tracked competitor's account (ingest's /v1/competitors id)."""

    competitor_id: str | None


class BrandEngagement(Engagement):
    """The brand's own accounts together, and each of them."""

    accounts: list[AccountEngagement]


class PreviousShare(BaseModel):
    """The brand's share in the period of the same length just before."""

    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from")
    to: date
    share: float | None
    post_share: float | None


class ShareOfVoice(BaseModel):
    """The brand's engagement against its tracked competitors' over a period of its days."""

    model_config = ConfigDict(populate_by_name=True)

    brand_id: str
    from_: date = Field(alias="from")
    to: date = Field(description="Included.")
    timezone: str = Field(description="The brand's zone, whose days the period counts.")
    total_engagement: int
    total_posts: int
    brand: BrandEngagement
    competitors: list[CompetitorEngagement] = Field(description="Largest share first.")
    previous: PreviousShare


class TopTerm(BaseModel):
    """A term and how many texts carried it."""

    term: str
    kind: TermKind
    count: int
    previous_count: int = Field(description="In the period of the same length just before.")


class SpikingTerm(BaseModel):
    """A term whose hourly count left its baseline (see `method`)."""

    term: str
    kind: TermKind
    hour: datetime = Field(description="Start (UTC) of the hour that spiked the most.")
    count: int
    baseline: float = Field(description="The EWMA of its earlier hourly counts.")
    z: float


class Trends(BaseModel):
    """A brand's top and spiking terms over a period."""

    model_config = ConfigDict(populate_by_name=True)

    brand_id: str
    from_: datetime = Field(alias="from")
    to: datetime
    sources: list[TermSource]
    top: list[TopTerm]
    spiking: list[SpikingTerm] = Field(description="Strongest first.")
    method: str


class Confidence(StrEnum):
    """How far the best times can be trusted, from the number of posts behind them."""

    none = "none"
    low = "low"
    medium = "medium"
    high = "high"


class Slot(BaseModel):
    """One weekday x hour of publication in the brand's zone."""

    weekday: int = Field(ge=1, le=7, description="ISO weekday: 1 Monday … 7 Sunday.")
    weekday_name: str
    hour: int = Field(ge=0, le=23)
    posts: int
    mean_engagement: float
    median_engagement: float
    score: float = Field(
        description="(sum + 3 * account mean) / (posts + 3): the slot's mean pulled toward the "
        "account's by 3 pseudo-posts, so slots resting on few posts weigh less."
    )
    few_posts: bool = Field(description="Fewer than 3 posts: a hint, not a finding.")


class BestTimes(BaseModel):
    """When the account's posts earned the most engagement, by weekday and hour."""

    account: str = Field(description="<network>:<external_account_id>")
    brand_id: str | None
    timezone: str
    window_start: datetime
    window_end: datetime = Field(description="Posts younger than min_age_hours are left out.")
    posts: int
    mean_engagement: float | None
    confidence: Confidence
    note: str
    best: list[Slot] = Field(description="The best slots, best first.")
    slots: list[Slot] = Field(description="Every slot with at least one post.")
