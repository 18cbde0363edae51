"""The decision table."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from moderation.db import metadata

# Longest comment text shown with a decision: enough to review it.
EXCERPT_CHARS = 500

# What a decision says; what it is about (the comment's text, author, network, kind, ids) is
# read from the stored comment it references, kept once (moderation.comments).
decision = Table(
    "decision",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("interaction_id", UUID(as_uuid=True), nullable=False),
    # The scope every moderation row carries: brand-limited reads filter on it.
    Column("brand_id", Text),
    Column("action", Text, nullable=False),
    Column("decided_by", Text, nullable=False),
    Column("reasons", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("model_version", Text),
    Column("scores", JSONB, nullable=False, server_default=text("'{}'")),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    # One decision per comment: a redelivered comment.received finds it already there.
    UniqueConstraint("tenant_id", "interaction_id"),
    ForeignKeyConstraint(
        ["tenant_id", "interaction_id"],
        ["moderation.comment.tenant_id", "moderation.comment.interaction_id"],
    ),
    Index("ix_decision_tenant_id_decided_at_id", "tenant_id", "decided_at", "id"),
)
