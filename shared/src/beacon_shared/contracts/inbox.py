"""Events published by the inbox."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import Field

from beacon_shared.contracts.ingest import InteractionKind
from beacon_shared.contracts.moderation import ActionRequested


class ReplyRequested(ActionRequested):
    """A member's reply from the inbox, carried out by ingest's action executor exactly as
    moderation's requests are (the same topic, the same executor, `action.completed` after).

    `action_id` is the inbox's id of the reply's message; `interaction_id` and `external_id` the
    message replied to. A private reply (`kind` `direct_message`) goes to `recipient_external_id`
    within the network's messaging window, counted from `last_inbound_at`.
    """

    event_type = "inbox.reply.requested"
    topic = "action.requested"

    conversation_id: UUID = Field(description="The inbox's conversation the reply is in.")
    kind: InteractionKind = Field(description="The kind of the message replied to.")
    recipient_external_id: str | None = Field(
        default=None, description="For a private reply: the network's id of the person."
    )
    last_inbound_at: datetime | None = Field(
        default=None,
        description="For a private reply: when the person last wrote (the window's start).",
    )
    human_agent: bool = Field(
        default=False,
        description="For a private reply on Facebook or Instagram: the brand allows the "
        "HUMAN_AGENT tag, so the window is 7 days instead of 24 hours.",
    )

