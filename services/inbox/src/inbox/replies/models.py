"""Each brand's messaging setting, and the Idempotency-Keys of the reply route."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Index, PrimaryKeyConstraint, Table, Text, text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from beacon_shared.idempotency import idempotency_table
from inbox.db import metadata

# Whether the brand's app holds Meta's Human Agent permission, so that a private reply on
# Facebook or Instagram may go out up to 7 days after the person's last message (tagged
# HUMAN_AGENT) instead of 24 hours. No row: not allowed.
messaging_setting = Table(
    "messaging_setting",
    metadata,
    Column("tenant_id", Text, nullable=False),
    Column("brand_id", Text, nullable=False),
    Column("human_agent", Boolean, nullable=False, server_default=text("false")),
    Column("updated_by", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("tenant_id", "brand_id"),
)

idempotency_key = idempotency_table(metadata)

# The brand's messages heard of before their thread was filed (`inbox.replies.unthreaded`).
unthreaded_outbound = Table(
    "unthreaded_outbound",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    # The event's payload, as its contract reads it.
    Column("payload", JSONB, nullable=False),
    Column("kept_at", DateTime(timezone=True), nullable=False),
    Column("next_at", DateTime(timezone=True), nullable=False),
    Index("ix_unthreaded_outbound_next_at", "next_at"),
)
