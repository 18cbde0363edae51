"""Erasure requests and each service's part of their receipt."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Index, PrimaryKeyConstraint, Table, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from workspace.db import metadata

erasure = Table(
    "erasure",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    # NULL: every brand of the organization.
    Column("brand_id", Text),
    Column("network", Text, nullable=False),
    Column("author_id", Text, nullable=False),
    Column("requested_by", Text, nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    # Set when the last expected service reported.
    Column("completed_at", DateTime(timezone=True)),
    Index("ix_erasure_tenant_id_requested_at", "tenant_id", "requested_at", "id"),
)

# One row per service that reported, with what it erased by kind.
erasure_step = Table(
    "erasure_step",
    metadata,
    Column(
        "erasure_id",
        UUID(as_uuid=True),
        ForeignKey("erasure.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("service", Text, nullable=False),
    Column("erased", JSONB, nullable=False),
    Column("completed_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("erasure_id", "service"),
)
