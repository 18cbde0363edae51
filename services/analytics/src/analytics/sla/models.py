"""Each response and resolution the inbox timed, and each SLA breach it found: the report reads
their percentiles and hit rates over any period and grouping, so they are kept one row each."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Float, Index, Integer, Table, Text
from sqlalchemy.dialects.postgresql import UUID

from analytics.db import metadata

sla_measure = Table(
    "sla_measure",
    metadata,
    # The event's id: a replay inserts nothing.
    Column("event_id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    # '' for conversations without a brand.
    Column("brand_id", Text, nullable=False),
    Column("network", Text, nullable=False),
    # The member credited; NULL when nobody is.
    Column("member_id", UUID(as_uuid=True)),
    # first_response, next_response or resolution.
    Column("target", Text, nullable=False),
    Column("conversation_id", UUID(as_uuid=True), nullable=False),
    Column("stopped_at", DateTime(timezone=True), nullable=False),
    Column("business_seconds", Float, nullable=False),
    Column("target_seconds", Integer),
    # NULL: no target was set.
    Column("met", Boolean),
    Index("ix_sla_measure_brand", "tenant_id", "brand_id", "stopped_at"),
)

sla_breach = Table(
    "sla_breach",
    metadata,
    Column("breach_id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("brand_id", Text, nullable=False),
    Column("network", Text, nullable=False),
    # The conversation's assignee when it breached.
    Column("member_id", UUID(as_uuid=True)),
    Column("target", Text, nullable=False),
    Column("conversation_id", UUID(as_uuid=True), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Index("ix_sla_breach_brand", "tenant_id", "brand_id", "due_at"),
)
