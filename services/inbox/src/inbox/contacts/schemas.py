"""HTTP models of contacts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Row

from beacon_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from inbox.conversations.schemas import MAX_LABELS, Label, NoteOut, Sentiment


class ContactQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    brand_id: str | None = Field(default=None, min_length=1, max_length=128)
    label: Label | None = None
    cursor: str | None = Field(default=None, max_length=512, description="A next_cursor.")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cursor: str | None = Field(default=None, max_length=512, description="A next_cursor.")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class ContactOut(BaseModel):
    id: UUID
    brand_id: str | None
    handle: str | None = Field(description="As their latest message named them.")
    display_name: str | None
    labels: list[str]
    message_count: int = Field(description="Their comments and messages on the brand.")
    first_contact_at: datetime
    last_contact_at: datetime
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> ContactOut:
        """From a `contact` row."""
        return cls(
            id=row.id,
            brand_id=row.brand_id,
            handle=row.handle,
            display_name=row.display_name,
            labels=list(row.labels),
            message_count=row.message_count,
            first_contact_at=row.first_contact_at,
            last_contact_at=row.last_contact_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class ContactPage(BaseModel):
    items: list[ContactOut]
    next_cursor: str | None


class Identity(BaseModel):
    """The contact as one network knows them."""

    network: str
    network_id: str
    handle: str | None
    display_name: str | None
    first_seen_at: datetime


class SentimentDay(BaseModel):
    """How many of the contact's messages of one day (UTC) moderation found of each sentiment."""

    day: date
    negative: int = 0
    neutral: int = 0
    positive: int = 0
    unknown: int = Field(default=0, description="Not judged (yet), or with no sentiment.")


class ContactDetail(ContactOut):
    """A contact with its identities, private notes and sentiment by day (90 days)."""

    identities: list[Identity]
    notes: list[NoteOut]
    sentiment: list[SentimentDay]


class ContactChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    labels: list[Label] = Field(max_length=MAX_LABELS, description="Replaces the labels.")


class ContactMerge(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_id: UUID = Field(description="The contact to merge into this one.")


class ContactMessage(BaseModel):
    """One of the contact's comments or messages, with where it was written."""

    id: UUID
    conversation_id: UUID
    network: str
    kind: str
    text: str
    language: str | None
    created_at: datetime
    action: str | None = Field(description="Moderation's latest decision on it.")
    sentiment: Sentiment | None

    @classmethod
    def from_row(cls, row: Row[Any]) -> ContactMessage:
        return cls(
            id=row.id,
            conversation_id=row.conversation_id,
            network=row.network,
            kind=row.kind,
            text=row.text,
            language=row.language,
            created_at=row.created_at,
            action=row.action,
            sentiment=None if row.sentiment is None else Sentiment(row.sentiment),
        )


class ContactMessagePage(BaseModel):
    items: list[ContactMessage]
    next_cursor: str | None
