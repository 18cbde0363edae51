"""HTTP models of the webhooks API; which event types exist is each service's own."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, JsonValue
from sqlalchemy import Row

from beacon_shared.bounds import JsonBool
from beacon_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from beacon_shared.webhooks.schedule import Outcome
from beacon_shared.webhooks.tables import DeliveryStatus

# Sent by "test" to one endpoint whatever it subscribes to; nobody subscribes to it.
TEST_EVENT_TYPE = "webhook.test"

MAX_URL_LENGTH = 2048
MAX_BRANDS = 100
# More than any service's catalogue holds; the names are checked against the catalogue.
MAX_EVENT_TYPES = 64
EventType = Annotated[str, Field(max_length=64)]
BrandId = Annotated[str, Field(max_length=128)]


class EndpointIn(BaseModel):
    """An agency URL that receives a signed POST for every subscribed event."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        min_length=1,
        max_length=MAX_URL_LENGTH,
        description="An https URL on the public internet; redirects are not followed.",
    )
    description: str | None = Field(default=None, max_length=500)
    event_types: list[EventType] = Field(
        default_factory=list,
        max_length=MAX_EVENT_TYPES,
        description="Event types to receive; empty means all of them.",
    )
    brand_ids: list[BrandId] = Field(
        default_factory=list,
        max_length=MAX_BRANDS,
        description="Brands whose events to receive; empty means every brand and brandless ones.",
    )


class EndpointPatch(BaseModel):
    """Fields to change; those left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, min_length=1, max_length=MAX_URL_LENGTH)
    description: str | None = Field(default=None, max_length=500)
    event_types: list[EventType] | None = Field(default=None, max_length=MAX_EVENT_TYPES)
    brand_ids: list[BrandId] | None = Field(default=None, max_length=MAX_BRANDS)
    enabled: JsonBool | None = Field(
        default=None, description="Enabling resumes deliveries that waited while disabled."
    )


class EndpointOut(BaseModel):
    """An endpoint, without its secret."""

    id: UUID
    url: str
    description: str | None
    event_types: list[str]
    brand_ids: list[str]
    enabled: bool
    disabled_reason: str | None = Field(description="Why deliveries stopped, when disabled.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> EndpointOut:
        """From a `webhook_endpoint` row."""
        return cls.model_validate(dict(row._mapping))


class EndpointWithSecret(EndpointOut):
    """A new endpoint and its signing secret, shown this once."""

    secret: str = Field(description="`whsec_…`: verify each webhook's signature with it.")

    @classmethod
    def from_created(cls, row: Row[Any], secret: str) -> EndpointWithSecret:
        """From a `webhook_endpoint` row and its plaintext secret."""
        return cls.model_validate({**row._mapping, "secret": secret})


class RotatedSecret(BaseModel):
    """A new signing secret, shown this once."""

    secret: str = Field(description="`whsec_…`: the secret webhooks are signed with from now on.")
    previous_valid_until: datetime | None = Field(
        description="Until then webhooks carry a signature by the old secret too (null when the "
        "old secret could no longer be read)."
    )


class EndpointQuery(BaseModel):
    """Paging of the endpoint list."""

    model_config = ConfigDict(extra="forbid")

    cursor: str | None = Field(default=None, max_length=512, description="A next_cursor.")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class EndpointPage(BaseModel):
    """One page of endpoints, newest first."""

    items: list[EndpointOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class DeliveryQuery(BaseModel):
    """Filters and paging of an endpoint's delivery log."""

    model_config = ConfigDict(extra="forbid")

    status: DeliveryStatus | None = None
    event_type: str | None = Field(default=None, max_length=128)
    cursor: str | None = Field(default=None, max_length=512, description="A next_cursor.")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class DeliveryOut(BaseModel):
    """One message to one endpoint and where its delivery stands."""

    id: UUID = Field(description="The `webhook-id` header, the same on every attempt.")
    endpoint_id: UUID
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None = Field(description="When the next attempt is due, if any.")
    last_status_code: int | None
    last_error: str | None
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> DeliveryOut:
        """From a `webhook_delivery` row."""
        return cls.model_validate(dict(row._mapping))


class AttemptOut(BaseModel):
    """One POST of a message and how the endpoint answered."""

    attempt: int
    at: datetime
    outcome: Outcome
    status_code: int | None
    error: str | None = Field(description="Why no answer came, when none did.")
    duration_ms: int
    response_excerpt: str = Field(description="The first kilobyte of the response body.")


class DeliveryDetail(DeliveryOut):
    """A delivery with the body it sends and every attempt so far."""

    payload: dict[str, JsonValue] = Field(description="The signed body: type, timestamp and data.")
    attempt_log: list[AttemptOut]

    @classmethod
    def from_rows(cls, row: Row[Any], attempts: Sequence[Row[Any]]) -> DeliveryDetail:
        """From a `webhook_delivery` row and its `webhook_attempt` rows."""
        return cls.model_validate(
            {
                **row._mapping,
                "attempt_log": [AttemptOut.model_validate(dict(a._mapping)) for a in attempts],
            }
        )


class DeliveryPage(BaseModel):
    """One page of deliveries, newest first."""

    items: list[DeliveryOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )
