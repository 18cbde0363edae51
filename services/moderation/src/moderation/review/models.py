"""Review items: one per comment a human must look at."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, Table, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from moderation.db import metadata

review_item = Table(
    "review_item",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("brand_id", Text),
    Column("interaction_id", UUID(as_uuid=True), nullable=False),
    Column("decision_id", UUID(as_uuid=True), nullable=False),
    # open → claimed → resolved; a claim can be released back to open.
    Column("status", Text, nullable=False),
    Column("reason", Text, nullable=False),
    # Higher first: escalations over flags.
    Column("priority", Integer, nullable=False, server_default=text("0")),
    Column("labels", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    # The member's user id; `assigned_by` is who gave it (`user:…`, `key:…` or a rule).
    Column("assignee", Text),
    Column("assigned_by", Text),
    Column("claimed_at", DateTime(timezone=True)),
    Column("resolution", Text),
    Column("resolved_by", Text),
    Column("resolved_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("tenant_id", "interaction_id"),
    Index("ix_review_item_tenant_id_status_created_at", "tenant_id", "status", "created_at", "id"),
)
