"""Events published by the inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from beacon_shared.contracts.common import ErasureOutcome, Network
from beacon_shared.contracts.ingest import InteractionKind
from beacon_shared.contracts.moderation import ActionRequested
from beacon_shared.events import EventPayload


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


SlaTarget = Literal["first_response", "next_response", "resolution"]


class SlaMeasure(BaseModel):
    """What one SLA clock measured when it stopped (fields shared by responses and resolutions).

    `business_seconds` is the time the clock ran within the brand's opening hours (every second
    when its policy has no hours, or it has no policy); `met` says whether it stopped by its due
    time, null when no target was set."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    conversation_id: UUID
    brand_id: str | None = None
    network: Network
    kind: str = Field(description="The conversation's kind: comment, mention or direct_message.")
    target: SlaTarget
    started_at: datetime = Field(description="When the clock started.")
    stopped_at: datetime
    business_seconds: float = Field(ge=0)
    calendar_seconds: float = Field(ge=0)
    target_seconds: int | None = Field(default=None, description="The policy's target, if any.")
    due_at: datetime | None = None
    met: bool | None = None
    member_id: UUID | None = Field(
        default=None,
        description="The member credited: who answered or resolved when a member did, else the "
        "conversation's assignee.",
    )


class ResponseRecorded(EventPayload, SlaMeasure):
    """The brand answered a conversation that was waiting: the first or the next response."""

    event_type = "inbox.response.recorded"
    topic = "response.recorded"

    responded_by: str | None = Field(
        default=None, description="`user:<id>`, `key:<id>`, or null when made on the network."
    )


class ResolutionRecorded(EventPayload, SlaMeasure):
    """A conversation was resolved: how long it took from its first message since last resolved."""

    event_type = "inbox.resolution.recorded"
    topic = "resolution.recorded"

    resolved_by: str = Field(description="`user:<id>` or `key:<id>`.")


class SlaBreached(EventPayload):
    """A conversation's SLA clock ran past its due time without stopping: sent once per clock."""

    event_type = "inbox.sla.breached"
    topic = "sla.breached"

    breach_id: UUID
    conversation_id: UUID
    brand_id: str | None = None
    network: Network
    kind: str = Field(description="The conversation's kind: comment, mention or direct_message.")
    target: SlaTarget
    started_at: datetime
    due_at: datetime
    found_at: datetime = Field(description="When the inbox found it (at or after `due_at`).")
    assignee: UUID | None = None
    team_id: UUID | None = None


class ErasureCompleted(EventPayload, ErasureOutcome):
    """The inbox erased an author's messages, and the contact they were with their identities,
    labels and notes; their conversations stay, emptied of them."""

    event_type = "inbox.erasure.completed"
    topic = "erasure.completed"


class ConversationResolved(EventPayload):
    """A member resolved a conversation in the inbox while comments in it still waited for
    review: moderation closes their review items in that member's name, so neither the queue
    nor the inbox keeps work the other has done."""

    event_type = "inbox.conversation.resolved"
    topic = "conversation.resolved"

    conversation_id: UUID
    brand_id: str | None = None
    interaction_ids: list[UUID] = Field(
        min_length=1, description="The comments moderation flagged or escalated, not decided yet."
    )
    resolved_by: str = Field(description="`user:<id>` or `key:<id>`.")
    resolved_at: datetime
