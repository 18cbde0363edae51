"""The stream's log and how far each organization's log has been trimmed."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Identity, Index, Table, Text
from sqlalchemy.dialects.postgresql import JSONB

from inbox.db import metadata

# Each event the inbox sends out, in the order its organization's transactions committed it (an
# append holds the organization's lock until its commit). `id` is the SSE event id.
stream_event = Table(
    "stream_event",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("brand_id", Text),
    Column("type", Text, nullable=False),
    Column("data", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_stream_event_tenant_id", "tenant_id", "id"),
)

# The newest id of an organization's events that trimming removed: a client that last saw an
# older one has missed events and must load the inbox again.
stream_trim = Table(
    "stream_trim",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("trimmed_through", BigInteger, nullable=False),
)
