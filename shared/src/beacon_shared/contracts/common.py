"""Value types used by more than one contract."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from beacon_shared.bounds import NonNegativeInt32


class Network(StrEnum):
    """Networks Beacon speaks to; `custom` is the generic ingest API, `sandbox` the test network."""

    facebook = "facebook"
    instagram = "instagram"
    x = "x"
    mastodon = "mastodon"
    bluesky = "bluesky"
    linkedin = "linkedin"
    custom = "custom"
    sandbox = "sandbox"


class Author(BaseModel):
    """Who wrote or did an interaction, as the network knows them."""

    model_config = ConfigDict(frozen=True)

    network_id: str = Field(min_length=1, max_length=256)
    handle: str | None = Field(default=None, max_length=256)
    display_name: str | None = Field(default=None, max_length=512)
    # Strict: a JSON integer, never `true` read as 1.
    follower_count: NonNegativeInt32 | None = Field(default=None, strict=True)


class ErasureOutcome(BaseModel):
    """What one service erased for an erasure request: each service publishes it as its own
    `<service>.erasure.completed`, and the workspace gathers them into the request's receipt."""

    erasure_id: UUID
    erased: dict[str, int] = Field(
        description="Rows erased, by kind (`interactions`, `contacts`, ...); zero counts included."
    )
    completed_at: datetime
