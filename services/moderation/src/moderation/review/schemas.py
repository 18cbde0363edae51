"""HTTP models of the review queue."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Row

from beacon_shared.bounds import Int32, Timestamp
from beacon_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from moderation.comments.schemas import CommentOut

# The caller's own items, in the queue's `assignee` filter.
MINE = "me"


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
    assignee: UUID | Literal["me"] | None = Field(
        default=None, description="A member's user id, or `me` for the caller's own items."
    )
    reason: str | None = Field(default=None, max_length=128, description="e.g. `flag`, `escalate`.")
    label: str | None = Field(default=None, max_length=64)
    min_priority: Int32 | None = Field(default=None, description="Escalations have priority 10.")
    since: Timestamp | None = Field(default=None, description="Queued at or after.")
    cursor: str | None = Field(default=None, max_length=512, description="A next_cursor.")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class AssignIn(BaseModel):
    """Who is given the item: a member allowed to moderate its brand."""

    model_config = ConfigDict(extra="forbid")

    assignee: UUID = Field(description="The member's user id.")


class ResolveIn(BaseModel):
    """The reviewer's decision; a reply takes a text or a saved reply."""

    model_config = ConfigDict(extra="forbid")

    resolution: Resolution
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
    assignee: str | None = Field(description="The user id of the member it is assigned to.")
    assigned_by: str | None = Field(
        description="Who claimed, assigned or released it last: `user:<id>`, `key:<id>` or "
        "`rule:<id>`."
    )
    claimed_at: datetime | None
    resolution: Resolution | None
    resolved_by: str | None = Field(description="Who resolved it: `user:<id>` or `key:<id>`.")
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
