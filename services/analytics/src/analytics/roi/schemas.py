"""HTTP models of the conversions and ROI API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from analytics.roi.models import ConversionKind, Unattributed
from beacon_shared.bounds import Day, Timestamp, largest_amount
from beacon_shared.contracts.common import Network
from beacon_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT

MAX_BATCH = 1000


def _upper(value: str) -> str:
    return value.upper()


Currency = Annotated[
    str,
    Field(
        min_length=3,
        max_length=3,
        pattern=r"^[A-Za-z]{3}$",
        description="ISO 4217 code of the value, e.g. EUR.",
    ),
    AfterValidator(_upper),
]
UtmValue = Annotated[str, Field(min_length=1, max_length=500)]


class ConversionIn(BaseModel):
    """A click on a tagged link, or a conversion, with the UTM values it came with."""

    model_config = ConfigDict(extra="forbid")

    conversion_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        description="Your id for it: sending the same id again is a replay, never a second one.",
    )
    kind: ConversionKind
    occurred_at: Timestamp = Field(description="When the click or conversion happened.")
    value: Decimal | None = Field(
        default=None,
        ge=0,
        le=largest_amount(max_digits=18, decimal_places=4),
        max_digits=18,
        decimal_places=4,
        description='What a conversion was worth, as a decimal string ("49.90"); with currency.',
    )
    currency: Currency | None = None
    utm_source: UtmValue | None = Field(default=None, description="The network, e.g. facebook.")
    utm_medium: UtmValue | None = None
    utm_campaign: UtmValue | None = Field(default=None, description="Names the campaign.")
    utm_content: UtmValue | None = Field(default=None, description="A post id, when it is one.")
    post_id: UUID | None = Field(default=None, description="The post, when known otherwise.")
    network: Network | None = Field(default=None, description="Overrides utm_source.")


class ConversionBatchIn(BaseModel):
    """Up to 1,000 clicks and conversions, stored together or not at all."""

    model_config = ConfigDict(extra="forbid")

    conversions: list[ConversionIn] = Field(min_length=1, max_length=MAX_BATCH)


class ConversionOut(BaseModel):
    """A stored click or conversion and what it is attributed to."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    conversion_id: str | None
    kind: ConversionKind
    occurred_at: datetime
    value: Decimal | None
    currency: str | None
    utm_source: str | None
    utm_medium: str | None
    utm_campaign: str | None
    utm_content: str | None
    campaign_id: UUID | None = Field(description="The campaign; null while unattributed.")
    network: Network | None
    post_id: UUID | None
    attributed: bool
    reason: Unattributed | None = Field(
        description="Why it is unattributed: `unknown_campaign` (attributed once a campaign with "
        "its utm_campaign appears) or `no_utm_campaign`."
    )
    received_at: datetime
    attributed_at: datetime | None


class ConversionResult(ConversionOut):
    """One item of a batch, and whether it had been stored before."""

    replayed: bool = Field(description="True when an earlier request already stored it.")


class ConversionBatchOut(BaseModel):
    """The outcome of a batch, item by item in the order sent."""

    created: int
    replayed: int
    unattributed: int = Field(description="Items stored (now or before) without a campaign.")
    items: list[ConversionResult]


class PeriodQuery(BaseModel):
    """UTC days to report on, both included; open-ended when left out."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: Day | None = Field(default=None, alias="from", description="First day (UTC).")
    to: Day | None = Field(default=None, description="Last day (UTC), included.")


class CampaignQuery(PeriodQuery):
    """Filters and paging of the campaign report."""

    brand_id: str | None = Field(default=None, max_length=128)
    cursor: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class NetworkQuery(PeriodQuery):
    """Filters of the network report."""

    brand_id: str | None = Field(default=None, max_length=128)


class CurrencyReturnsOut(BaseModel):
    """Cost, value and their ratios in one currency; currencies are never converted."""

    model_config = ConfigDict(from_attributes=True)

    currency: str
    cost: Decimal | None = Field(description="The cost (or its share) in this currency, if any.")
    value: Decimal = Field(description="The value of the conversions in this currency.")
    roi: Decimal | None = Field(description="(value - cost) / cost; null without a cost.")
    cost_per_conversion: Decimal | None


class ReturnsOut(BaseModel):
    """Counts and money of one report row."""

    model_config = ConfigDict(from_attributes=True)

    clicks: int
    conversions: int
    conversion_rate: Decimal | None = Field(description="conversions / clicks; null, no clicks.")
    currencies: list[CurrencyReturnsOut]


class CampaignSummary(BaseModel):
    """The campaign a report row is about, as the publisher last described it."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    brand_id: str | None
    name: str
    kind: str
    utm_campaign: str
    utm_medium: str
    starts_at: datetime | None
    ends_at: datetime | None
    cost_amount: Decimal | None
    currency: str | None
    archived: bool


class CampaignReturnsOut(ReturnsOut):
    """One campaign's returns over the period."""

    campaign: CampaignSummary
    publications: int = Field(description="Post targets published in it: the cost's shares.")


class CampaignPage(BaseModel):
    """A page of campaigns, newest first."""

    items: list[CampaignReturnsOut]
    next_cursor: str | None


class NetworkReturnsOut(ReturnsOut):
    """Returns on one network; null for conversions whose network is unknown."""

    network: Network | None
    publications: int


class PostReturnsOut(ReturnsOut):
    """Returns of one post; null for conversions not traced to a post."""

    post_id: UUID | None
    publications: int


class CampaignBreakdown(CampaignReturnsOut):
    """One campaign's returns, and per network and per post."""

    networks: list[NetworkReturnsOut]
    posts: list[PostReturnsOut]


class MoneyOut(BaseModel):
    """An amount in a currency."""

    currency: str
    amount: Decimal


class NetworkReport(BaseModel):
    """Returns per network over every campaign in scope."""

    networks: list[NetworkReturnsOut]
    unallocated_cost: list[MoneyOut] = Field(
        description="Costs of campaigns with no publication yet, which no network can be given."
    )
