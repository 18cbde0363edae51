"""The decision table."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Table, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from moderation.db import metadata

# Longest comment text kept with a decision: enough to review it, not a copy of ingest's data.
EXCERPT_CHARS = 500

decision = Table(
    "decision",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("interaction_id", UUID(as_uuid=True), nullable=False),
    Column("brand_id", Text),
    Column("network", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("external_id", Text, nullable=False),
    Column("thread_external_id", Text),
    Column("author_handle", Text),
    Column("text_excerpt", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("decided_by", Text, nullable=False),
    Column("reasons", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("model_version", Text),
    Column("scores", JSONB, nullable=False, server_default=text("'{}'")),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    # One decision per comment: a redelivered comment.received finds it already there.
    UniqueConstraint("tenant_id", "interaction_id"),
    Index("ix_decision_tenant_id_decided_at_id", "tenant_id", "decided_at", "id"),
)
