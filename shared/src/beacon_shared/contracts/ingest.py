"""Events published by ingest."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pydantic import Field

from beacon_shared.contracts.common import Author, ErasureOutcome, Network
from beacon_shared.contracts.workspace import HandedOverAccount, RefreshRequest
from beacon_shared.events import EventPayload


class InteractionKind(StrEnum):
    """What an inbound interaction is."""

    comment = "comment"
    reply = "reply"
    mention = "mention"
    direct_message = "direct_message"
    reaction = "reaction"
    share = "share"
    follow = "follow"


CONVERSATION_KINDS = frozenset(
    {
        InteractionKind.comment,
        InteractionKind.reply,
        InteractionKind.mention,
        InteractionKind.direct_message,
    }
)


class CommentReceived(EventPayload):
    """A comment, reply, mention or direct message, stored once by ingest."""

    event_type = "ingest.comment.received"
    topic = "comment.received"

    interaction_id: UUID = Field(description="Ingest's id of the stored interaction.")
    brand_id: str | None = Field(default=None, description="The brand the account belongs to.")
    account_id: str | None = Field(default=None, description="The connected account it reached.")
    # Added: the network's id of that account, the same in every service (ingest's and the
    # publisher's account ids differ).
    account_external_id: str | None = Field(
        default=None, description="The network's id of the account it reached."
    )
    network: Network
    kind: InteractionKind
    external_id: str = Field(description="The network's id of the interaction.")
    parent_external_id: str | None = Field(default=None, description="What it replies to.")
    thread_external_id: str | None = Field(default=None, description="The post or conversation.")
    author: Author
    text: str
    created_at: datetime = Field(
        description="When the network says it happened, under Beacon's one time rule, applied "
        "once where an interaction enters (ingest): more than 5 minutes after `received_at` is a "
        "source clock's error, and the time of receipt is given instead (the stored raw payload "
        "keeps the sent time, flagged `created_at_clamped`)."
    )
    received_at: datetime = Field(description="When ingest stored it.")


class EngagementRecorded(EventPayload):
    """A reaction, share or follow, stored once by ingest."""

    event_type = "ingest.engagement.recorded"
    topic = "engagement.recorded"

    interaction_id: UUID
    brand_id: str | None = None
    account_id: str | None = None
    # Added: see CommentReceived.account_external_id.
    account_external_id: str | None = None
    network: Network
    kind: InteractionKind
    external_id: str
    target_external_id: str | None = Field(default=None, description="The post or comment engaged.")
    reaction: str | None = Field(default=None, description="like, love, haha… for reactions.")
    author: Author
    created_at: datetime
    received_at: datetime


class ActionOutcome(StrEnum):
    """How a requested network action ended."""

    succeeded = "succeeded"
    failed = "failed"
    unsupported = "unsupported"


class ActionCompleted(EventPayload):
    """The outcome of a requested network action (moderation's `moderation.action.requested` or
    the inbox's `inbox.reply.requested`), once ingest stopped retrying it."""

    event_type = "ingest.action.completed"
    topic = "action.completed"

    action_id: UUID
    decision_id: UUID | None = None
    interaction_id: UUID
    brand_id: str | None = None
    account_id: str | None = None
    network: Network
    external_id: str
    action: str = Field(description="hide, delete or reply.")
    outcome: ActionOutcome
    attempts: int = Field(ge=0, description="Network calls made.")
    error: str | None = Field(default=None, description="Why it failed or is unsupported.")
    reply_external_id: str | None = Field(default=None, description="The network's id of a reply.")
    requested_by: str
    comment_created_at: datetime
    completed_at: datetime
    # Added: what a reply said and where, so a consumer files it in its thread without keeping
    # the request. Unset in events sent before, and for hides and deletes.
    reply_text: str | None = Field(default=None, description="The reply's text, for `reply`.")
    thread_external_id: str | None = Field(
        default=None, description="The post or conversation of the interaction acted on."
    )
    kind: InteractionKind | None = Field(
        default=None,
        description="The kind of the interaction acted on (`direct_message`: a private reply), "
        "when ingest knows it.",
    )


class OwnActivityRecorded(EventPayload):
    """A comment, reply or private message a connected account made itself, natively on the
    network (or echoed back for one sent through Beacon), as its webhook delivered it. Not an
    interaction: nothing moderates it; the inbox files it in its thread as the brand's own."""

    event_type = "ingest.own_activity.recorded"
    topic = "own.activity.recorded"

    brand_id: str | None = None
    account_id: str | None = Field(default=None, description="The connected account that made it.")
    account_external_id: str = Field(description="The network's id of that account.")
    network: Network
    kind: InteractionKind = Field(description="comment, reply or direct_message.")
    external_id: str = Field(description="The network's id of the comment, reply or message.")
    parent_external_id: str | None = Field(default=None, description="What it replies to.")
    thread_external_id: str | None = Field(
        default=None, description="The post or conversation, keyed as for comment.received."
    )
    recipient_external_id: str | None = Field(
        default=None, description="Whom a private message was sent to."
    )
    app_id: str | None = Field(
        default=None, description="The app that sent a private message, when the network says."
    )
    text: str = ""
    created_at: datetime
    received_at: datetime


class PostMetricsObserved(EventPayload):
    """A post's public metrics as a poller read them: the brand's own posts, or the posts of a
    competitor's account the brand tracks. Each observation carries totals, not increments."""

    event_type = "ingest.post.metrics_observed"
    topic = "post.metrics.observed"

    brand_id: str | None = None
    network: Network
    account_external_id: str = Field(description="The network's id of the post's author.")
    account_handle: str | None = None
    # Whose the account is: the brand's own (`own`) or a tracked competitor (`competitor`).
    owner: str = Field(description="own or competitor.")
    competitor_id: str | None = Field(default=None, description="The tracked competitor's id.")
    post_external_id: str
    text: str = ""
    post_created_at: datetime
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    impressions: int | None = None
    reach: int | None = None
    observed_at: datetime


class AccountHandedOver(HandedOverAccount, EventPayload):
    """An account connected through ingest's own API, handed over to the registry."""

    event_type = "ingest.account.handed_over"
    topic = "account.handover"


class AccountRefreshRequested(RefreshRequest, EventPayload):
    """A network refused the token of a workspace account ingest polls or acts as."""

    event_type = "ingest.account.refresh_requested"
    topic = "account.refresh.requested"


class ErasureCompleted(EventPayload, ErasureOutcome):
    """Ingest erased an author's interactions: their text, author fields and raw payloads; each
    keeps its network and external id so that the network's redelivery is not filed again."""

    event_type = "ingest.erasure.completed"
    topic = "erasure.completed"
