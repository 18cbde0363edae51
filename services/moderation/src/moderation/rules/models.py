"""Rule sets: each brand's rules, versioned; at most one version is active."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, Table, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from moderation.db import metadata

rule_set = Table(
    "rule_set",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("brand_id", Text, nullable=False),
    Column("version", Integer, nullable=False),
    # draft → active → retired; a draft can be edited, the others are frozen.
    Column("status", Text, nullable=False),
    Column("rules", JSONB, nullable=False),
    Column("note", Text),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("activated_by", Text),
    Column("activated_at", DateTime(timezone=True)),
    UniqueConstraint("tenant_id", "brand_id", "version"),
    Index(
        "uq_rule_set_one_active",
        "tenant_id",
        "brand_id",
        unique=True,
        postgresql_where=text("status = 'active'"),
    ),
)
