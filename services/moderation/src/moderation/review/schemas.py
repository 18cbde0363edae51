"""HTTP models of the review queue."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Row

from beacon_shared.bounds import Int32, Timestamp
from beacon_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from moderation.comments.schemas import CommentOut

Person = Field(
    min_length=1,
    max_length=256,
    description="The person acting, as your application identifies them; kept in the audit log.",
)


class ReviewStatus(StrEnum):
    open = "open"
    claimed = "claimed"
    resolved = "resolved"


class Resolution(StrEnum):
    """What the reviewer decides; approve keeps the comment as it is."""

    approve = "approve"
    hide = "hide"
    delete = "delete"
    reply = "reply"


class ReviewQuery(BaseModel):
    """Filters and paging of the queue; oldest first, so the longest-waiting comes first."""

    model_config = ConfigDict(extra="forbid")

    status: ReviewStatus | None = Field(default=None, description="Default: open and claimed.")
    brand_id: str | None = Field(default=None, max_length=128)
    assignee: str | None = Field(default=None, max_length=256)
    reason: str | None = Field(default=None, max_length=128, description="e.g. `flag`, `escalate`.")
    label: str | None = Field(default=None, max_length=64)
    min_priority: Int32 | None = Field(default=None, description="Escalations have priority 10.")
    since: Timestamp | None = Field(default=None, description="Queued at or after.")
    cursor: str | None = Field(default=None, max_length=512, description="A next_cursor.")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class ClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignee: str = Person


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignee: str = Person
    by: str = Person


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    by: str = Person


class ResolveIn(BaseModel):
    """The reviewer's decision; a reply takes a text or a saved reply."""

    model_config = ConfigDict(extra="forbid")

    resolution: Resolution
    reviewer: str = Person
    reply_text: str | None = Field(default=None, min_length=1, max_length=2000)
    saved_reply_id: UUID | None = None
    note: str | None = Field(default=None, max_length=2000)


class ReviewItemOut(BaseModel):
    id: UUID
    brand_id: str | None
    interaction_id: UUID
    decision_id: UUID
    status: ReviewStatus
    reason: str
    priority: int
    labels: list[str]
    assignee: str | None
    claimed_at: datetime | None
    resolution: Resolution | None
    resolved_by: str | None
    resolved_at: datetime | None
    created_at: datetime
    comment: CommentOut | None = Field(default=None, description="Included when one item is read.")

    @classmethod
    def from_row(cls, row: Row[Any], comment: Row[Any] | None = None) -> ReviewItemOut:
        item = cls.model_validate(dict(row._mapping))
        if comment is not None:
            item.comment = CommentOut.from_row(comment)
        return item


class ReviewPage(BaseModel):
    items: list[ReviewItemOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )
