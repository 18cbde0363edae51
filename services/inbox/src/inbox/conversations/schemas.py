"""HTTP models of conversations, their messages and notes."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import Row

from beacon_shared.bounds import Timestamp
from beacon_shared.contracts.common import Network
from beacon_shared.contracts.moderation import Intent
from beacon_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from inbox.sla.targets import FIRST_RESPONSE, NEXT_RESPONSE

# The caller's own conversations, and those nobody holds, in the `assignee` filter.
MINE = "me"
UNASSIGNED = "unassigned"
MAX_LABELS = 20
SEARCH_LIMIT = 50
# How many conversations one bulk change may name.
MAX_BULK = 100

# Labels are compared as given lower-cased: "Refund" and "refund" are one label.
Label = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, min_length=1, max_length=64, pattern=r"^[^\s,]+$"
    ),
]


class Status(StrEnum):
    open = "open"
    pending = "pending"
    snoozed = "snoozed"
    resolved = "resolved"


class Kind(StrEnum):
    """What a conversation is: a post's comment thread, a mention, or a private conversation."""

    comment = "comment"
    mention = "mention"
    direct_message = "direct_message"


class Priority(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    urgent = "urgent"


class Sentiment(StrEnum):
    negative = "negative"
    neutral = "neutral"
    positive = "positive"


class Filters(BaseModel):
    """What the list, the counts and the search keep to."""

    model_config = ConfigDict(extra="forbid")

    brand_id: str | None = Field(default=None, min_length=1, max_length=128)
    assignee: UUID | Literal["me", "unassigned"] | None = Field(
        default=None,
        description="A member's user id, `me` for the caller's own, `unassigned` for nobody's.",
    )
    network: Network | None = None
    kind: Kind | Literal["review"] | None = Field(
        default=None,
        description="`review`: conversations with a message moderation flagged for a person.",
    )
    label: Label | None = None
    priority: Priority | None = None
    team_id: UUID | None = Field(default=None, description="The conversations given to a team.")
    sentiment: Sentiment | None = Field(
        default=None, description="Moderation's sentiment of the latest message that has one."
    )
    waiting: bool | None = Field(
        default=None,
        description="`true`: the community waits for an answer (a message came since the brand "
        "last answered or the conversation was resolved); `false`: nobody waits.",
    )
    overdue: bool | None = Field(
        default=None,
        description="`true`: an SLA clock ran past its due time and is still running (a "
        "response or the resolution is late); `false`: none.",
    )
    contact_id: UUID | None = Field(
        default=None, description="The conversations with one contact (`/v1/contacts`)."
    )
    intent: Intent | None = Field(
        default=None,
        description="What the author of the latest judged message wants, as moderation read it.",
    )


class ConversationQuery(Filters):
    """Filters and paging of the list; the latest activity first."""

    status: Status | None = Field(default=None, description="Default: every status.")
    cursor: str | None = Field(default=None, max_length=512, description="A next_cursor.")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class SearchQuery(Filters):
    """Words to find in messages (web search syntax: quotes, `or`, `-word`), best matches first."""

    q: str = Field(min_length=1, max_length=256)
    status: Status | None = None
    limit: int = Field(default=20, ge=1, le=SEARCH_LIMIT)


class Contact(BaseModel):
    """Who the conversation is with, as the network knows them."""

    id: UUID | None = Field(description="Their contact (`/v1/contacts/{id}`).")
    network_id: str
    handle: str | None
    display_name: str | None


class Sla(BaseModel):
    """The running SLA clocks' due times (null: that clock is not running, or has no target)."""

    first_response_due_at: datetime | None
    next_response_due_at: datetime | None
    resolution_due_at: datetime | None
    overdue: bool = Field(description="A running clock is past its due time.")

    @classmethod
    def from_row(cls, row: Row[Any]) -> Sla:
        """From a `conversation` row."""
        response = row.response_due_at
        return cls(
            first_response_due_at=response if row.response_target == FIRST_RESPONSE else None,
            next_response_due_at=response if row.response_target == NEXT_RESPONSE else None,
            resolution_due_at=row.resolution_due_at,
            overdue=row.sla_due_at is not None and row.sla_due_at <= datetime.now(UTC),
        )


class ConversationOut(BaseModel):
    id: UUID
    brand_id: str | None
    network: str
    kind: Kind
    thread_external_id: str
    status: Status
    snoozed_until: datetime | None
    assignee: UUID | None
    assigned_by: str | None
    team_id: UUID | None
    priority: Priority | None
    labels: list[str]
    contact: Contact
    preview: str = Field(description="The start of the latest message.")
    message_count: int
    review_count: int = Field(
        description="Messages moderation flagged or escalated that no person decided yet."
    )
    sentiment: Sentiment | None = Field(
        description="Moderation's sentiment of the latest message that has one."
    )
    intents: list[Intent] = Field(
        description="What the author of the latest judged message wants, as moderation read it."
    )
    waiting_since: datetime | None = Field(
        description="Since when the community waits for an answer; null: nobody waits."
    )
    sla: Sla = Field(description="Due times under the brand's SLA policy.")
    created_at: datetime
    last_message_at: datetime
    last_inbound_at: datetime
    resolved_at: datetime | None
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> ConversationOut:
        """From a `conversation` row."""
        return cls(
            id=row.id,
            brand_id=row.brand_id,
            network=row.network,
            kind=Kind(row.kind),
            thread_external_id=row.thread_external_id,
            status=Status(row.status),
            snoozed_until=row.snoozed_until,
            assignee=row.assignee,
            assigned_by=row.assigned_by,
            team_id=row.team_id,
            priority=None if row.priority is None else Priority(row.priority),
            labels=list(row.labels),
            contact=Contact(
                id=row.contact_id,
                network_id=row.contact_network_id,
                handle=row.contact_handle,
                display_name=row.contact_name,
            ),
            preview=row.preview,
            message_count=row.message_count,
            review_count=row.review_count,
            sentiment=None if row.sentiment is None else Sentiment(row.sentiment),
            intents=list(row.intents),
            waiting_since=row.waiting_since,
            sla=Sla.from_row(row),
            created_at=row.created_at,
            last_message_at=row.last_message_at,
            last_inbound_at=row.last_inbound_at,
            resolved_at=row.resolved_at,
            updated_at=row.updated_at,
        )


class ConversationPage(BaseModel):
    items: list[ConversationOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class StatusCounts(BaseModel):
    """How many conversations have each status, within the filters."""

    open: int
    pending: int
    snoozed: int
    resolved: int


class Moderation(BaseModel):
    """Moderation's latest decision on a message."""

    decision_id: UUID
    action: str
    decided_by: str
    decided_at: datetime


class MessageOut(BaseModel):
    id: UUID
    interaction_id: UUID | None = Field(description="Ingest's interaction; null for the brand's.")
    kind: str
    external_id: str | None = Field(description="The network's id; null until a reply is sent.")
    parent_external_id: str | None
    direction: Literal["inbound", "outbound"] = Field(
        description="`inbound` from the community, `outbound` the brand's own."
    )
    sent_via: Literal["beacon", "network"] | None = Field(
        description="The brand's: sent through Beacon, or natively on the network (outside "
        "Beacon); null for the community's."
    )
    sent_by: str | None = Field(
        description="Who had Beacon send it: `user:<id>`, `key:<id>` or a moderation rule "
        "`rule:<id>`; null natively and for the community's."
    )
    delivery: Literal["pending", "sent", "failed"] | None = Field(
        description="The brand's: waiting to be sent, sent, or failed (`delivery_error` says "
        "why); null for the community's."
    )
    delivery_error: str | None = Field(description="Why sending it failed.")
    author: Contact | None = Field(description="The community's author; null for the brand's.")
    text: str
    language: str | None
    created_at: datetime
    received_at: datetime
    moderation: Moderation | None

    @classmethod
    def from_row(cls, row: Row[Any]) -> MessageOut:
        """From a `message` row joined to its decision (NULLs when none)."""
        moderation = None
        if row.decision_id is not None:
            moderation = Moderation(
                decision_id=row.decision_id,
                action=row.action,
                decided_by=row.decided_by,
                decided_at=row.decided_at,
            )
        return cls(
            id=row.id,
            interaction_id=row.interaction_id,
            kind=row.kind,
            external_id=row.external_id,
            parent_external_id=row.parent_external_id,
            direction=row.direction,
            sent_via=row.sent_via,
            sent_by=row.sent_by,
            delivery=row.delivery,
            delivery_error=row.delivery_error,
            author=None
            if row.author_network_id is None
            else Contact(
                id=row.contact_id,
                network_id=row.author_network_id,
                handle=row.author_handle,
                display_name=row.author_name,
            ),
            text=row.text,
            language=row.language,
            created_at=row.created_at,
            received_at=row.received_at,
            moderation=moderation,
        )


class NoteOut(BaseModel):
    id: UUID
    author: str = Field(description="`user:<id>` or `key:<id>`.")
    text: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> NoteOut:
        """From a `note` row."""
        return cls(id=row.id, author=row.author, text=row.text, created_at=row.created_at)


class ConversationDetail(ConversationOut):
    """A conversation with its messages (oldest first) and its private notes."""

    messages: list[MessageOut]
    notes: list[NoteOut]


class SearchHit(BaseModel):
    conversation: ConversationOut
    rank: float = Field(description="Text search rank of its best matching message.")
    message_id: UUID = Field(description="Its best matching message.")


class SearchResults(BaseModel):
    items: list[SearchHit]


class ConversationChange(BaseModel):
    """What to change; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    snoozed_until: Timestamp | None = Field(
        default=None, description="With `status: snoozed` only: when it opens again (future)."
    )
    assignee: UUID | None = Field(
        default=None,
        description="A member allowed to answer on the conversation's brand; null: nobody.",
    )
    team_id: UUID | None = Field(
        default=None, description="One of the organization's teams; null: none."
    )
    priority: Priority | None = Field(default=None, description="null: none.")
    labels: list[Label] | None = Field(
        default=None, max_length=MAX_LABELS, description="Replaces the labels."
    )


class BulkChange(BaseModel):
    """One change to many conversations, all or none: each must be one the caller may change,
    and the change valid for each. Fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    conversation_ids: list[UUID] = Field(min_length=1, max_length=MAX_BULK)
    status: Status | None = Field(default=None, description="`resolved` to resolve them all.")
    snoozed_until: Timestamp | None = Field(
        default=None, description="With `status: snoozed` only: when they open again (future)."
    )
    assignee: UUID | None = Field(
        default=None,
        description="A member allowed to answer on every one's brand; null: nobody.",
    )
    team_id: UUID | None = Field(
        default=None, description="One of the organization's teams; null: none."
    )
    priority: Priority | None = Field(default=None, description="null: none.")
    add_labels: list[Label] = Field(default_factory=list, max_length=MAX_LABELS)
    remove_labels: list[Label] = Field(default_factory=list, max_length=MAX_LABELS)


class BulkResult(BaseModel):
    items: list[ConversationOut] = Field(
        description="The conversations changed, in the order named."
    )


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=10_000)


class TeamIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class TeamOut(BaseModel):
    id: UUID
    name: str
    created_by: str = Field(description="`user:<id>` or `key:<id>`.")
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> TeamOut:
        """From a `team` row."""
        return cls(id=row.id, name=row.name, created_by=row.created_by, created_at=row.created_at)


class TeamQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cursor: str | None = Field(default=None, max_length=512, description="A next_cursor.")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class TeamPage(BaseModel):
    items: list[TeamOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )
