"""HTTP models of replies and of each brand's messaging setting."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Row


class ReplyIn(BaseModel):
    """A reply in the conversation's thread: a comment reply, or a private message in a private
    conversation."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=8_000)
    in_reply_to: UUID | None = Field(
        default=None,
        description="The message of the community answered (a comment thread's reply goes "
        "under it); default: the conversation's latest.",
    )


class ReplyAccepted(BaseModel):
    """What an Idempotency-Key keeps: the reply's message."""

    message_id: UUID


class MessagingSettingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    human_agent: bool = Field(
        description="The brand's Meta app holds the Human Agent permission: private replies on "
        "Facebook and Instagram may go out up to 7 days after the person's last message, "
        "tagged HUMAN_AGENT, instead of 24 hours."
    )


class MessagingSettingOut(BaseModel):
    brand_id: str
    human_agent: bool
    updated_by: str | None = Field(description="`user:<id>` or `key:<id>`; null: never set.")
    updated_at: datetime | None

    @classmethod
    def from_row(cls, brand_id: str, row: Row[Any] | None) -> MessagingSettingOut:
        """From a `messaging_setting` row; the default (not allowed) without one."""
        if row is None:
            return cls(brand_id=brand_id, human_agent=False, updated_by=None, updated_at=None)
        return cls(
            brand_id=brand_id,
            human_agent=row.human_agent,
            updated_by=row.updated_by,
            updated_at=row.updated_at,
        )
