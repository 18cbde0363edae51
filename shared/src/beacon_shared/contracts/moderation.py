"""Events published by moderation."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pydantic import Field

from beacon_shared.contracts.common import Network
from beacon_shared.events import EventPayload


class ModerationAction(StrEnum):
    """What was decided for a comment."""

    allow = "allow"
    hide = "hide"
    delete = "delete"
    flag = "flag"
    reply = "reply"
    escalate = "escalate"


class CommentModerated(EventPayload):
    """The decision taken for one received comment."""

    event_type = "moderation.comment.moderated"
    topic = "comment.moderated"

    decision_id: UUID
    interaction_id: UUID = Field(description="Ingest's interaction id of the comment.")
    brand_id: str | None = None
    network: Network
    external_id: str
    action: ModerationAction
    decided_by: str = Field(description="`rule:<id>` or `user:<id>`.")
    reasons: list[str] = Field(default_factory=list)
    model_version: str | None = None
    scores: dict[str, float] = Field(default_factory=dict)
    decided_at: datetime
