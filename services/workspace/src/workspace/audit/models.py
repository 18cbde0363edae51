"""The workspace's audit table."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB, UUID

from workspace.db import metadata

# One row per write made through the workspace API (people, invitations, keys), naming the
# principal that made it: `user:<id>` or `key:<id>`.
audit_entry = Table(
    "audit_entry",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False, comment="e.g. member.role_changed, api_key.issued"),
    Column("target", Text, nullable=False, comment="What was changed: `user:<id>`, `key:<id>`…"),
    Column("detail", JSONB, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_audit_entry_tenant_id_recorded_at", "tenant_id", "recorded_at"),
)
