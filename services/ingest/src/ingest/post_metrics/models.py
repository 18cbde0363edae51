"""The post_metrics_poll table: when each account's posts are read next."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, DateTime, Integer, Table, Text, text
from sqlalchemy.dialects.postgresql import UUID

from ingest.db import metadata

# One row per polled account: a connected account (`own`) or a tracked competitor. Shared by
# every worker replica: a poll holds the row, a rate limit or a failure rests it.
post_metrics_poll = Table(
    "post_metrics_poll",
    metadata,
    # connected_account.id or tracked_account.id (both random UUIDs, so they never collide).
    Column("account_id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("owner", Text, nullable=False),
    Column("next_at", DateTime(timezone=True), nullable=False),
    Column("failures", Integer, nullable=False, server_default=text("0")),
    Column("polled_at", DateTime(timezone=True)),
    Column("last_error", Text),
    CheckConstraint("owner IN ('own', 'competitor')", name="owner"),
)
