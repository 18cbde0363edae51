"""Conversations, their messages and private notes, and the moderation decisions shown on them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Computed,
    DateTime,
    ForeignKey,
    Identity,
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
SENTIMENTS = ("negative", "neutral", "positive")
# Moderation's decisions that leave a message waiting for a person.
FOR_REVIEW = ("flag", "escalate")

# The organization's teams: a conversation can be given to one as well as to a member.
team = Table(
    "team",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("tenant_id", "name"),
    Index("ix_team_tenant_id", "tenant_id", "created_at", "id"),
)

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
    Column("team_id", UUID(as_uuid=True), ForeignKey("team.id", ondelete="SET NULL")),
    Column("priority", Text),
    Column("labels", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    # Who the conversation is with: the author of its first message.
    Column("contact_network_id", Text, nullable=False),
    Column("contact_handle", Text),
    Column("contact_name", Text),
    # The contact (`inbox.contacts`) the first message's author is.
    Column("contact_id", UUID(as_uuid=True)),
    Column("preview", Text, nullable=False),
    Column("message_count", Integer, nullable=False, server_default=text("0")),
    # Messages moderation flagged or escalated and no person has decided yet.
    Column("review_count", Integer, nullable=False, server_default=text("0")),
    # Moderation's sentiment of the latest message that has one.
    Column("sentiment", Text),
    # What the author of the latest judged message wants (question, complaint, purchase_intent,
    # praise: none, one or several).
    Column("intents", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    # Since when the community waits for an answer: its earliest message since the brand last
    # answered or the conversation was resolved; NULL when nobody waits.
    Column("waiting_since", DateTime(timezone=True)),
    # SLA clocks (`inbox.sla` decides them, `sla_columns` sets them): the response clock
    # (`first_response` until the brand first answers, `next_response` after) runs from
    # `waiting_since`, the resolution clock from the first message since the conversation was
    # last resolved; due times only under the brand's policy. `sla_due_at` is the earliest due
    # time of a running clock (`overdue`), `sla_alarm_at` when the breach pass looks at the
    # conversation next.
    Column("response_target", Text),
    Column("response_started_at", DateTime(timezone=True)),
    Column("response_due_at", DateTime(timezone=True)),
    Column("first_response_at", DateTime(timezone=True)),
    Column("resolution_started_at", DateTime(timezone=True)),
    Column("resolution_due_at", DateTime(timezone=True)),
    Column("sla_due_at", DateTime(timezone=True)),
    Column("sla_alarm_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_message_at", DateTime(timezone=True), nullable=False),
    Column("last_inbound_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(f"status IN {STATUSES!r}", name="status"),
    CheckConstraint(f"priority IS NULL OR priority IN {PRIORITIES!r}", name="priority"),
    CheckConstraint(f"sentiment IS NULL OR sentiment IN {SENTIMENTS!r}", name="sentiment"),
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
    # The list's orders: everything, by status, by assignee, by brand, by team, by sentiment,
    # those waiting; newest activity first. The counts of a team, a sentiment or those waiting
    # read the same indexes.
    Index("ix_conversation_recent", "tenant_id", "last_message_at", "id"),
    Index("ix_conversation_status", "tenant_id", "status", "last_message_at", "id"),
    Index("ix_conversation_assignee", "tenant_id", "assignee", "status", "last_message_at", "id"),
    Index("ix_conversation_brand", "tenant_id", "brand_id", "status", "last_message_at", "id"),
    Index("ix_conversation_team", "tenant_id", "team_id", "status", "last_message_at", "id"),
    Index("ix_conversation_sentiment", "tenant_id", "sentiment", "status", "last_message_at", "id"),
    Index(
        "ix_conversation_waiting",
        "tenant_id",
        "status",
        "last_message_at",
        "id",
        postgresql_where=text("waiting_since IS NOT NULL"),
    ),
    Index("ix_conversation_labels", "labels", postgresql_using="gin"),
    Index("ix_conversation_intents", "intents", postgresql_using="gin"),
    # Overdue: the list reads the conversations with a running clock newest first, their due
    # time beside; the counts read those due by a time.
    Index(
        "ix_conversation_overdue",
        "tenant_id",
        "last_message_at",
        "id",
        postgresql_include=["sla_due_at", "status"],
        postgresql_where=text("sla_due_at IS NOT NULL"),
    ),
    Index(
        "ix_conversation_sla_due",
        "tenant_id",
        "sla_due_at",
        postgresql_include=["status", "brand_id"],
        postgresql_where=text("sla_due_at IS NOT NULL"),
    ),
    # The breach pass's scan.
    Index(
        "ix_conversation_sla_alarm",
        "sla_alarm_at",
        postgresql_where=text("sla_alarm_at IS NOT NULL"),
    ),
    # A contact's conversations; and a merge moves them.
    Index(
        "ix_conversation_contact",
        "tenant_id",
        "contact_id",
        "last_message_at",
        "id",
        postgresql_where=text("contact_id IS NOT NULL"),
    ),
    # The snooze job's scan.
    Index(
        "ix_conversation_snoozed",
        "snoozed_until",
        postgresql_where=text("status = 'snoozed'"),
    ),
)

# A message's search vector, in the text search configuration of the language moderation
# detected. French is indexed twice, stemmed as written and stemmed without its accents
# (`inbox.french_unaccent`), so "livree" finds "livrée" and "casse" finds "cassées"; any other
# language, or one not known yet, word for word without accents (`inbox.simple_unaccent`).
SEARCH_VECTOR = (
    "CASE language "
    "WHEN 'en' THEN to_tsvector('english'::regconfig, text) "
    "WHEN 'fr' THEN to_tsvector('french'::regconfig, text) "
    "|| to_tsvector('inbox.french_unaccent'::regconfig, text) "
    "ELSE to_tsvector('inbox.simple_unaccent'::regconfig, text) END"
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
    # Ingest's id of the interaction this message copies; NULL for the brand's own messages.
    Column("interaction_id", UUID(as_uuid=True)),
    Column("kind", Text, nullable=False),
    # The network's id; NULL for a reply not sent (yet).
    Column("external_id", Text),
    Column("parent_external_id", Text),
    # inbound (from the community) or outbound (the brand's own, `inbox.replies`).
    Column("direction", Text, nullable=False, server_default=text("'inbound'")),
    # Outbound only: `beacon` (sent through Beacon: the inbox, moderation) or `network` (made
    # natively on the network); who asked for it (`user:…`, `key:…`, `rule:…`; NULL natively);
    # `pending`, `sent` or `failed`, and why it failed.
    Column("sent_via", Text),
    Column("sent_by", Text),
    Column("delivery", Text),
    Column("delivery_error", Text),
    # NULL for the brand's own messages (the account is the conversation's).
    Column("author_network_id", Text),
    Column("author_handle", Text),
    Column("author_name", Text),
    # The contact the author is; NULL for the brand's own messages.
    Column("contact_id", UUID(as_uuid=True)),
    Column("text", Text, nullable=False),
    # ISO 639-1 code moderation detected; NULL until its decision arrives.
    Column("language", Text),
    Column(
        "search_vector",
        TSVECTOR,
        Computed(SEARCH_VECTOR, persisted=True),
        nullable=False,
    ),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("tenant_id", "interaction_id"),
    CheckConstraint("direction IN ('inbound', 'outbound')", name="direction"),
    CheckConstraint(
        "delivery IS NULL OR delivery IN ('pending', 'sent', 'failed')", name="delivery"
    ),
    # One copy of each of the brand's messages in its thread, however it was heard of first
    # (its sending's outcome, or the network's echo).
    Index(
        "uq_message_outbound_external_id",
        "conversation_id",
        "external_id",
        unique=True,
        postgresql_where=text("direction = 'outbound' AND external_id IS NOT NULL"),
    ),
    # What a reply answers, to find its thread where the network names no conversation.
    Index("ix_message_external_id", "tenant_id", "external_id"),
    Index("ix_message_thread", "conversation_id", "created_at", "id"),
    Index("ix_message_search", "search_vector", postgresql_using="gin"),
    # A search ranks the latest matching messages: read newest first where a word is common.
    Index("ix_message_recent", "tenant_id", "created_at"),
    # The same, brand by brand: a search kept to some brands reads their newest messages.
    Index("ix_message_brand_recent", "tenant_id", "brand_id", "created_at"),
    # A contact's history, newest first.
    Index(
        "ix_message_contact",
        "contact_id",
        "created_at",
        "id",
        postgresql_where=text("contact_id IS NOT NULL"),
    ),
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
    Column("sentiment", Text),
    # NULL when moderation did not say (a person's revision, an event sent before intents).
    Column("intents", ARRAY(Text)),
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

# How many conversations have each status, by brand and assignee: what the counts read instead
# of every conversation. Triggers on `conversation` append each statement's changes to
# `status_count_change`; the worker folds them into `status_count`; a count adds up both.
status_count = Table(
    "status_count",
    metadata,
    Column("tenant_id", Text, nullable=False),
    Column("brand_id", Text),
    Column("assignee", UUID(as_uuid=True)),
    Column("status", Text, nullable=False),
    Column("n", BigInteger, nullable=False),
    UniqueConstraint(
        "tenant_id",
        "brand_id",
        "assignee",
        "status",
        name="uq_status_count",
        postgresql_nulls_not_distinct=True,
    ),
)

status_count_change = Table(
    "status_count_change",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("brand_id", Text),
    Column("assignee", UUID(as_uuid=True)),
    Column("status", Text, nullable=False),
    Column("n", BigInteger, nullable=False),
    Index("ix_status_count_change_tenant_id", "tenant_id"),
)
