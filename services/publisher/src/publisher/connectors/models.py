"""The sandbox network's storage: what it "published", one row per idempotency key."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Table, Text, func

from publisher.db import metadata

sandbox_publication = Table(
    "sandbox_publication",
    metadata,
    Column("idempotency_key", Text, primary_key=True),
    Column("external_id", Text, nullable=False, unique=True),
    Column("tenant_id", Text, nullable=False),
    Column("account_id", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("link", Text),
    Column("url", Text, nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
