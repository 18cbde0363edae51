"""HTTP models of the campaigns API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from beacon_shared.bounds import Timestamp, largest_amount
from beacon_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from publisher.campaigns.currencies import is_currency
from publisher.campaigns.models import CampaignKind

# A UTM value: word characters with ".", "~" or "-" between them, so it needs no escaping in a
# query and never ends in punctuation a reader would take for the end of a sentence.
UTM_VALUE = r"^\w(?:[\w.~-]*\w)?$"
DEFAULT_MEDIUM = "social"


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _currency(value: str) -> str:
    code = value.upper()
    if not is_currency(code):
        raise ValueError("must be an ISO 4217 currency code in circulation, such as EUR or USD")
    return code


Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_not_blank)]
Description = Annotated[str, Field(max_length=5000)]
BrandId = Annotated[str, Field(min_length=1, max_length=128)]
UtmCampaign = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        pattern=UTM_VALUE,
        description="The utm_campaign of the campaign's links; unique in the tenant.",
    ),
]
UtmMedium = Annotated[str, Field(min_length=1, max_length=50, pattern=UTM_VALUE)]
Cost = Annotated[
    Decimal,
    Field(
        ge=0,
        le=largest_amount(max_digits=14, decimal_places=2),
        max_digits=14,
        decimal_places=2,
        description="What the campaign cost.",
    ),
]
Currency = Annotated[
    str,
    Field(min_length=3, max_length=3, description="ISO 4217 code of cost_amount, e.g. EUR."),
    AfterValidator(_currency),
]


class CampaignIn(BaseModel):
    """A campaign to group posts under; its links get its UTM parameters."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    kind: CampaignKind = CampaignKind.other
    brand_id: BrandId | None = None
    description: Description | None = None
    starts_at: Timestamp | None = None
    ends_at: Timestamp | None = Field(default=None, description="Must be after starts_at.")
    utm_campaign: UtmCampaign | None = Field(
        default=None, description="Defaults to a slug of the name."
    )
    utm_medium: UtmMedium = DEFAULT_MEDIUM
    cost_amount: Cost | None = None
    currency: Currency | None = None


class CampaignPatch(BaseModel):
    """Changes to a campaign: fields left out stay; null clears a field that may be empty."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    kind: CampaignKind | None = None
    brand_id: BrandId | None = None
    description: Description | None = None
    starts_at: Timestamp | None = None
    ends_at: Timestamp | None = None
    utm_campaign: UtmCampaign | None = None
    utm_medium: UtmMedium | None = None
    cost_amount: Cost | None = None
    currency: Currency | None = None

    @field_validator("name", "kind", "utm_campaign", "utm_medium")
    @classmethod
    def _required(cls, value: object) -> object:
        # Runs only for values the client sent, so an explicit null is refused here.
        if value is None:
            raise ValueError("may be left out but not null")
        return value

    def changes(self) -> dict[str, object]:
        """The fields the client sent, with their values."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class CampaignOut(BaseModel):
    """A campaign."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    brand_id: str | None
    name: str
    kind: CampaignKind
    description: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    utm_campaign: str
    utm_medium: str
    cost_amount: Decimal | None = Field(description='A decimal string, e.g. "1500.00".')
    currency: str | None
    archived_at: datetime | None = Field(description="Set once archived: no new posts then.")
    created_at: datetime
    updated_at: datetime


class CampaignQuery(BaseModel):
    """Filters and paging of the campaign list."""

    model_config = ConfigDict(extra="forbid")

    brand_id: str | None = Field(default=None, max_length=128)
    kind: CampaignKind | None = None
    active_at: Timestamp | None = Field(
        default=None,
        description="Campaigns running then: started at or before it (or with no start) and "
        "ending after it (or with no end).",
    )
    include_archived: bool = False
    cursor: str | None = Field(default=None, max_length=512, description="A next_cursor.")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class CampaignPage(BaseModel):
    """One page of campaigns, newest first."""

    items: list[CampaignOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )
