"""HTTP models of stored comments and the actions taken on them."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Row

from beacon_shared.contracts.moderation import NetworkAction


class ActionIn(BaseModel):
    """Hide, delete or reply to a comment now, outside the review queue."""

    model_config = ConfigDict(extra="forbid")

    action: NetworkAction
    reply_text: str | None = Field(default=None, min_length=1, max_length=2000)
    saved_reply_id: UUID | None = None

    @model_validator(mode="after")
    def _reply_has_text(self) -> ActionIn:
        if self.action is NetworkAction.reply and not (self.reply_text or self.saved_reply_id):
            raise ValueError("a reply needs reply_text or saved_reply_id")
        if self.action is not NetworkAction.reply and (self.reply_text or self.saved_reply_id):
            raise ValueError("only a reply takes reply_text or saved_reply_id")
        return self


class ActionOut(BaseModel):
    """A requested network action and, once ingest reports it, its outcome."""

    id: UUID
    action: NetworkAction
    reply_text: str | None
    status: str = Field(description="requested, succeeded, failed or unsupported.")
    attempts: int | None
    error: str | None
    reply_external_id: str | None
    requested_by: str = Field(
        description="`user:<id>` or `key:<id>` for the caller who asked, `rule:<id>` for a rule."
    )
    requested_at: datetime
    completed_at: datetime | None

    @classmethod
    def from_row(cls, row: Row[Any]) -> ActionOut:
        return cls.model_validate(dict(row._mapping))


class CommentOut(BaseModel):
    """A received comment as moderation keeps it, with what the classifier saw."""

    interaction_id: UUID
    brand_id: str | None
    account_id: str | None
    network: str
    kind: str
    external_id: str
    parent_external_id: str | None
    thread_external_id: str | None
    author_id: str
    author_handle: str | None
    author_name: str | None
    author_followers: int | None
    text: str
    language: str
    classification: dict[str, Any]
    created_at: datetime
    received_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> CommentOut:
        return cls.model_validate(dict(row._mapping))


class StoredCommentOut(CommentOut):
    """A comment with the network actions requested on it."""

    actions: list[ActionOut]

    @classmethod
    def from_rows(cls, row: Row[Any], actions: list[Row[Any]]) -> StoredCommentOut:
        values = dict(row._mapping)
        values["actions"] = [ActionOut.from_row(a) for a in actions]
        return cls.model_validate(values)
