"""Each brand's SLA policy, and the breaches found (each once).

A conversation's clocks are columns of `conversation` (its due times, read by the list's
`overdue` filter; `inbox.conversations.sla_columns` reads and sets them); this module holds what
is the SLA's own.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from inbox.db import metadata

sla_policy = Table(
    "sla_policy",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("brand_id", Text, primary_key=True),
    # Targets in seconds (of opening time when there are hours); NULL: no target.
    Column("first_response_seconds", Integer),
    Column("next_response_seconds", Integer),
    Column("resolution_seconds", Integer),
    # NULL: the brand's zone (`brand_zone`), UTC until it is known.
    Column("timezone", Text),
    # [{"weekday": 0-6, "opens": minutes, "closes": minutes}, ...]; NULL: every hour counts.
    Column("business_hours", JSONB),
    Column("holidays", ARRAY(Date), nullable=False, server_default=text("'{}'")),
    Column("updated_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# One row per clock that ran past its due time: what makes `inbox.sla.breached` go out once.
sla_breach = Table(
    "sla_breach",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column(
        "conversation_id",
        UUID(as_uuid=True),
        ForeignKey("conversation.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("target", Text, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("found_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("conversation_id", "target", "started_at"),
    Index("ix_sla_breach_tenant_id", "tenant_id", "found_at"),
)

# Each brand's time zone as the workspace configured it (`brand.configured`): the zone of a
# policy that names none.
brand_zone = Table(
    "brand_zone",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("brand_id", Text, primary_key=True),
    Column("timezone", Text, nullable=False),
    Column("configured_at", DateTime(timezone=True), nullable=False),
)
