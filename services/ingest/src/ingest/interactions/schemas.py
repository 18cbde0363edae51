"""HTTP models of the generic interactions API."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from beacon_shared.contracts.common import Author, Network
from beacon_shared.contracts.ingest import InteractionKind


class InteractionIn(BaseModel):
    """One interaction from a custom source."""

    model_config = ConfigDict(extra="forbid")

    network: Network = Network.custom
    kind: InteractionKind
    external_id: str = Field(min_length=1, max_length=256, description="The source's own id.")
    brand_id: str | None = Field(default=None, max_length=128)
    account_id: str | None = Field(default=None, max_length=128)
    parent_external_id: str | None = Field(default=None, max_length=256)
    thread_external_id: str | None = Field(default=None, max_length=256)
    author: Author
    text: str = Field(default="", max_length=100_000)
    created_at: AwareDatetime
    raw: dict[str, Any] | None = Field(
        default=None, description="The source payload, kept for audit."
    )


class InteractionAccepted(BaseModel):
    """Where an accepted interaction is stored; `duplicate` when it was already there."""

    id: UUID
    external_id: str
    duplicate: bool


class InteractionOut(BaseModel):
    """A stored interaction."""

    id: UUID
    network: Network
    kind: InteractionKind
    external_id: str
    brand_id: str | None
    account_id: str | None
    parent_external_id: str | None
    thread_external_id: str | None
    author: Author
    text: str
    created_at: datetime
    received_at: datetime
