"""Conversations, their messages and private notes, and the moderation decisions shown on them."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Computed,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR, UUID

from inbox.db import metadata

STATUSES = ("open", "pending", "snoozed", "resolved")
PRIORITIES = ("low", "medium", "high", "urgent")

conversation = Table(
    "conversation",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("brand_id", Text),
    Column("network", Text, nullable=False),
    # comment (a post's comment thread), mention or direct_message.
    Column("kind", Text, nullable=False),
    # The post commented on, or the private conversation; a lone mention is its own thread.
    Column("thread_external_id", Text, nullable=False),
    Column("account_id", Text),
    Column("status", Text, nullable=False, server_default=text("'open'")),
    Column("snoozed_until", DateTime(timezone=True)),
    # The member's user id, and who gave it to them (`user:…` or `key:…`).
    Column("assignee", UUID(as_uuid=True)),
    Column("assigned_by", Text),
    Column("priority", Text),
    Column("labels", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    # Who the conversation is with: the author of its first message.
    Column("contact_network_id", Text, nullable=False),
    Column("contact_handle", Text),
    Column("contact_name", Text),
    Column("preview", Text, nullable=False),
    Column("message_count", Integer, nullable=False, server_default=text("0")),
    # Messages moderation flagged or escalated and no person has decided yet.
    Column("review_count", Integer, nullable=False, server_default=text("0")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_message_at", DateTime(timezone=True), nullable=False),
    Column("last_inbound_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(f"status IN {STATUSES!r}", name="status"),
    CheckConstraint(f"priority IS NULL OR priority IN {PRIORITIES!r}", name="priority"),
    # A snooze always says until when, and only a snoozed conversation has one.
    CheckConstraint("(status = 'snoozed') = (snoozed_until IS NOT NULL)", name="snoozed_until"),
    UniqueConstraint(
        "tenant_id",
        "brand_id",
        "network",
        "kind",
        "thread_external_id",
        name="uq_conversation_thread",
        postgresql_nulls_not_distinct=True,
    ),
    # The list's orders: everything, by status, by assignee, by brand; newest activity first.
    Index("ix_conversation_recent", "tenant_id", "last_message_at", "id"),
    Index("ix_conversation_status", "tenant_id", "status", "last_message_at", "id"),
    Index("ix_conversation_assignee", "tenant_id", "assignee", "status", "last_message_at", "id"),
    Index("ix_conversation_brand", "tenant_id", "brand_id", "status", "last_message_at", "id"),
    Index("ix_conversation_labels", "labels", postgresql_using="gin"),
    # The snooze job's scan.
    Index(
        "ix_conversation_snoozed",
        "snoozed_until",
        postgresql_where=text("status = 'snoozed'"),
    ),
)

# Text search configuration of a message by the language moderation detected; 'simple' (no
# stemming, no stop words) until it is known or for other languages.
SEARCH_CONFIG = (
    "CASE language WHEN 'en' THEN 'english'::regconfig WHEN 'fr' THEN 'french'::regconfig "
    "ELSE 'simple'::regconfig END"
)

message = Table(
    "message",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column(
        "conversation_id",
        UUID(as_uuid=True),
        ForeignKey("conversation.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("brand_id", Text),
    # Ingest's id of the interaction this message copies.
    Column("interaction_id", UUID(as_uuid=True), nullable=False),
    Column("kind", Text, nullable=False),
    Column("external_id", Text, nullable=False),
    Column("parent_external_id", Text),
    # inbound (from the community); the brand's replies join in a later step.
    Column("direction", Text, nullable=False, server_default=text("'inbound'")),
    Column("author_network_id", Text, nullable=False),
    Column("author_handle", Text),
    Column("author_name", Text),
    Column("text", Text, nullable=False),
    # ISO 639-1 code moderation detected; NULL until its decision arrives.
    Column("language", Text),
    Column(
        "search_vector",
        TSVECTOR,
        Computed(f"to_tsvector({SEARCH_CONFIG}, text)", persisted=True),
        nullable=False,
    ),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("tenant_id", "interaction_id"),
    Index("ix_message_thread", "conversation_id", "created_at", "id"),
    Index("ix_message_search", "search_vector", postgresql_using="gin"),
)

# Moderation's latest decision on each interaction, kept whether its message arrived first or
# not (the two topics are read independently).
decision = Table(
    "decision",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("interaction_id", UUID(as_uuid=True), primary_key=True),
    Column("decision_id", UUID(as_uuid=True), nullable=False),
    Column("action", Text, nullable=False),
    Column("decided_by", Text, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("language", Text),
)

note = Table(
    "note",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column(
        "conversation_id",
        UUID(as_uuid=True),
        ForeignKey("conversation.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # `user:<id>` or `key:<id>`.
    Column("author", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_note_conversation", "conversation_id", "created_at", "id"),
)
