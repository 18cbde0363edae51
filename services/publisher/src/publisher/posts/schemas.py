"""HTTP models of the posts API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, HttpUrl, field_validator
from sqlalchemy import Row

from beacon_shared.contracts.common import Network
from beacon_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from publisher.posts.models import PostStatus, TargetStatus

MAX_TARGETS = 50


class TargetIn(BaseModel):
    """One account the post goes to."""

    model_config = ConfigDict(extra="forbid")

    account_id: str = Field(min_length=1, max_length=128, description="The connected account.")
    network: Network


class PostIn(BaseModel):
    """A post to publish at `scheduled_at` on every target."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=10_000)
    link: HttpUrl | None = None
    scheduled_at: AwareDatetime = Field(description="When to publish; must be in the future.")
    targets: list[TargetIn] = Field(min_length=1, max_length=MAX_TARGETS)
    brand_id: str | None = Field(default=None, max_length=128)
    campaign_id: str | None = Field(default=None, max_length=128)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @field_validator("targets")
    @classmethod
    def _distinct_targets(cls, value: list[TargetIn]) -> list[TargetIn]:
        seen = {(t.account_id, t.network) for t in value}
        if len(seen) != len(value):
            raise ValueError("each (account_id, network) may appear only once")
        return value


class TargetOut(BaseModel):
    """One target of a post and how its publishing went."""

    id: UUID
    account_id: str
    network: Network
    status: TargetStatus
    due_at: datetime
    attempts: int
    external_id: str | None = Field(description="The network's id once published.")
    url: str | None
    error: str | None = Field(description="Why the last attempt failed, if it did.")
    published_at: datetime | None


class PostOut(BaseModel):
    """A post and its targets."""

    id: UUID
    brand_id: str | None
    campaign_id: str | None
    text: str
    link: str | None
    status: PostStatus
    scheduled_at: datetime
    created_at: datetime
    updated_at: datetime
    targets: list[TargetOut]

    @classmethod
    def from_rows(cls, post: Row[Any], targets: Sequence[Row[Any]]) -> PostOut:
        """From a `post` row and its `post_target` rows."""
        return cls.model_validate(
            {
                **post._mapping,
                "targets": [TargetOut.model_validate(dict(t._mapping)) for t in targets],
            }
        )


class PostQuery(BaseModel):
    """Filters and paging of the post list."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    status: PostStatus | None = None
    from_: AwareDatetime | None = Field(
        default=None, alias="from", description="Scheduled at or after."
    )
    to: AwareDatetime | None = Field(default=None, description="Scheduled before.")
    cursor: str | None = Field(default=None, max_length=512, description="A next_cursor.")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class PostPage(BaseModel):
    """One page of posts, newest first."""

    items: list[PostOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )
