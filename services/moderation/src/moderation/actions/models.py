"""The network action table."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, Table, Text
from sqlalchemy.dialects.postgresql import UUID

from moderation.db import metadata

network_action = Table(
    "network_action",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("brand_id", Text),
    Column("interaction_id", UUID(as_uuid=True), nullable=False),
    Column("decision_id", UUID(as_uuid=True)),
    Column("action", Text, nullable=False),
    Column("reply_text", Text),
    # requested → succeeded | failed | unsupported
    Column("status", Text, nullable=False),
    Column("attempts", Integer),
    Column("error", Text),
    Column("reply_external_id", Text),
    Column("requested_by", Text, nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("completed_at", DateTime(timezone=True)),
    Index("ix_network_action_tenant_id_interaction_id", "tenant_id", "interaction_id"),
)
