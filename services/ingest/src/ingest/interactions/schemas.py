"""HTTP models of the generic interactions API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Row

from beacon_shared.bounds import Timestamp
from beacon_shared.contracts.common import Author, Network
from beacon_shared.contracts.ingest import InteractionKind
from beacon_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from ingest.interactions.interaction import (
    MAX_RAW_KEYS,
    MAX_TEXT_LENGTH,
    Interaction,
    without_control_characters,
)

MAX_BATCH_SIZE = 1_000


class InteractionIn(BaseModel):
    """One interaction from a custom source.

    `text` keeps emoji and right-to-left scripts as sent; C0 control characters other than tab,
    line feed and carriage return are removed. A `created_at` more than five minutes in the future
    is stored as the time of receipt, and the stored raw payload gets `created_at_clamped: true`.
    """

    model_config = ConfigDict(extra="forbid")

    network: Network = Network.custom
    kind: InteractionKind
    external_id: str = Field(min_length=1, max_length=256, description="The source's own id.")
    brand_id: str | None = Field(default=None, max_length=128)
    account_id: str | None = Field(default=None, max_length=128)
    account_external_id: str | None = Field(
        default=None,
        max_length=256,
        description="The network's id of the account it reached (set from the connected account).",
    )
    parent_external_id: str | None = Field(default=None, max_length=256)
    thread_external_id: str | None = Field(default=None, max_length=256)
    author: Author
    text: str = Field(
        default="",
        max_length=MAX_TEXT_LENGTH,
        description="Up to 100,000 characters; C0 control characters but tab, LF, CR are removed.",
    )
    created_at: Timestamp = Field(
        description="When it happened on the network; more than 5 minutes ahead is clamped to now."
    )
    raw: dict[str, Any] | None = Field(
        default=None,
        max_length=MAX_RAW_KEYS,
        description="The source payload, kept for audit (its size bounded by the body's).",
    )

    @field_validator("text")
    @classmethod
    def _strip_control_characters(cls, value: str) -> str:
        return without_control_characters(value)

    def to_interaction(self) -> Interaction:
        """The interaction this body submits, as the store takes it (already validated alike)."""
        return Interaction.model_construct(_fields_set=self.model_fields_set, **dict(self))


class InteractionBatchIn(BaseModel):
    """Up to 1,000 interactions accepted together, all or none."""

    model_config = ConfigDict(extra="forbid")

    items: list[InteractionIn] = Field(min_length=1, max_length=MAX_BATCH_SIZE)


class InteractionAccepted(BaseModel):
    """Where an accepted interaction is stored; `duplicate` when it was already there."""

    id: UUID
    external_id: str
    duplicate: bool


class InteractionBatchAccepted(BaseModel):
    """One result per submitted item, in the order submitted."""

    items: list[InteractionAccepted]


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

    @classmethod
    def from_row(cls, row: Row[Any]) -> Self:
        """The API view of a stored row."""
        return cls.model_validate(
            {
                **row._mapping,
                "author": {
                    "network_id": row.author_id,
                    "handle": row.author_handle,
                    "display_name": row.author_name,
                    "follower_count": row.author_followers,
                },
            }
        )


class InteractionQuery(BaseModel):
    """Filters and paging of the interaction list."""

    model_config = ConfigDict(extra="forbid")

    brand_id: str | None = Field(default=None, max_length=128)
    account_id: str | None = Field(default=None, max_length=128)
    network: Network | None = None
    kind: list[InteractionKind] = Field(
        default_factory=list,
        max_length=len(InteractionKind),
        description="Repeat to match any of several kinds.",
    )
    since: Timestamp | None = Field(default=None, description="created_at at or after this.")
    until: Timestamp | None = Field(default=None, description="created_at before this.")
    q: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Case-insensitive substring of the text; % and _ match themselves.",
    )
    cursor: str | None = Field(default=None, max_length=512, description="A next_cursor.")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class ConversationQuery(BaseModel):
    """Which network's thread, and paging."""

    model_config = ConfigDict(extra="forbid")

    network: Network = Field(description="Thread ids are only unique within a network.")
    cursor: str | None = Field(default=None, max_length=512, description="A next_cursor.")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class InteractionPage(BaseModel):
    """One page of interactions."""

    items: list[InteractionOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )
