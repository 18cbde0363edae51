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
    decided_by: str = Field(description="`rule:<id>`, or the reviewer: `user:<id>` or `key:<id>`.")
    reasons: list[str] = Field(default_factory=list)
    model_version: str | None = None
    scores: dict[str, float] = Field(default_factory=dict)
    decided_at: datetime
    replaces_action: ModerationAction | None = Field(
        default=None,
        description="Set when a person revised the decision: the action this event replaces "
        "(same decision_id). Counting consumers take it back.",
    )
    replaces_decided_at: datetime | None = Field(
        default=None, description="When the replaced action was decided."
    )
    # Added: what the classifier detected, for consumers that index the text by language.
    language: str | None = Field(
        default=None,
        description="ISO 639-1 code of the comment's language (`und`: undetermined); unset on a "
        "person's revision.",
    )


class NetworkAction(StrEnum):
    """What moderation asks the network to do with a comment."""

    hide = "hide"
    delete = "delete"
    reply = "reply"


class ActionRequested(EventPayload):
    """Moderation asks for a hide, delete or reply on the network the comment came from.

    Carried out by ingest, which holds the connected account's credentials; `action_id` makes a
    redelivered request a no-op.
    """

    event_type = "moderation.action.requested"
    topic = "action.requested"

    action_id: UUID = Field(description="Moderation's id of the request; the idempotency key.")
    decision_id: UUID | None = Field(default=None, description="The decision that asked for it.")
    interaction_id: UUID = Field(description="Ingest's interaction id of the comment.")
    brand_id: str | None = None
    account_id: str | None = Field(default=None, description="The connected account it reached.")
    network: Network
    external_id: str = Field(description="The network's id of the comment acted on.")
    thread_external_id: str | None = None
    action: NetworkAction
    reply_text: str | None = Field(default=None, description="The reply's text, for `reply`.")
    author_handle: str | None = Field(
        default=None,
        description="The comment author's handle, for networks whose replies name them.",
    )
    requested_by: str = Field(description="`rule:<id>`, or who asked: `user:<id>` or `key:<id>`.")
    comment_created_at: datetime = Field(description="When the comment was made (response time).")
    requested_at: datetime
