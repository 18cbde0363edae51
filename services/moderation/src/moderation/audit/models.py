"""The audit entry table: append-only."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Table, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from moderation.db import metadata

audit_entry = Table(
    "audit_entry",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("brand_id", Text),
    Column("interaction_id", UUID(as_uuid=True)),
    Column("decision_id", UUID(as_uuid=True)),
    # decision, review.*, action.requested, action.completed, rules.activated…
    Column("event", Text, nullable=False),
    Column("action", Text),
    # `rule:<id>` or `user:<id>`.
    Column("actor", Text, nullable=False),
    Column("model_version", Text),
    Column("rule_set_version", Text),
    Column("scores", JSONB, nullable=False, server_default=text("'{}'")),
    Column("reasons", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("detail", JSONB, nullable=False, server_default=text("'{}'")),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_audit_entry_tenant_id_at_id", "tenant_id", "at", "id"),
    Index("ix_audit_entry_tenant_id_interaction_id", "tenant_id", "interaction_id"),
)
