"""Erasure requests and receipts as the API takes and shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from beacon_shared.contracts.common import Network
from beacon_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT

Status = Literal["pending", "completed"]


class ErasureIn(BaseModel):
    """Whose data to erase: an author as one network knows them."""

    model_config = ConfigDict(extra="forbid")

    brand_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="Only this brand's data; omitted, every brand's (an organization-wide "
        "credential only).",
    )
    network: Network
    author_id: str = Field(
        min_length=1, max_length=256, description="The author's id on the network."
    )


class ServiceErasure(BaseModel):
    """One service's part of the receipt."""

    service: str
    status: Status
    erased: dict[str, int] = Field(description="Rows erased, by kind; empty while pending.")
    completed_at: datetime | None


class ErasureOut(BaseModel):
    """A request and its receipt: `completed` once every service holding authors' data erased
    what it had."""

    id: UUID
    brand_id: str | None
    network: Network
    author_id: str
    requested_by: str
    requested_at: datetime
    status: Status
    completed_at: datetime | None
    services: list[ServiceErasure]


class ErasureQuery(BaseModel):
    """A page of requests, newest first."""

    cursor: str | None = Field(default=None, max_length=512, description="A next_cursor.")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class ErasurePage(BaseModel):
    """A page of requests with their receipts."""

    items: list[ErasureOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")
