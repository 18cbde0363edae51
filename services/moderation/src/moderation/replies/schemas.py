"""HTTP models of saved replies."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Row

from moderation.replies.template import VARIABLES

_BODY = f"The reply; may use {', '.join('{' + v + '}' for v in VARIABLES)}."


class SavedReplyIn(BaseModel):
    """A reply to send again and again."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=128)
    body: str = Field(min_length=1, max_length=2000, description=_BODY)
    brand_id: str | None = Field(
        default=None, max_length=128, description="Null: every brand of the tenant may use it."
    )


class SavedReplyUpdate(BaseModel):
    """Fields to change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=128)
    body: str | None = Field(default=None, min_length=1, max_length=2000, description=_BODY)


class SavedReplyOut(BaseModel):
    id: UUID
    brand_id: str | None
    name: str
    body: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> SavedReplyOut:
        return cls.model_validate(dict(row._mapping))


class SavedReplyList(BaseModel):
    items: list[SavedReplyOut]
