"""Each recent comment's where-and-who and its sentiment, whichever event came first."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Table, Text, func
from sqlalchemy.dialects.postgresql import UUID

from analytics.db import metadata

# Filled half by comment.received (brand … created_at) and half by comment.moderated
# (sentiment); the event completing a row counts its sentiment, so it is counted once whatever
# the order. Rows are purged past the lateness horizon.
comment_attribution = Table(
    "comment_attribution",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("interaction_id", UUID(as_uuid=True), primary_key=True),
    Column("brand_id", Text),
    Column("network", Text),
    Column("account_key", Text),
    Column("thread_external_id", Text),
    Column("author_key", Text),
    # When the comment counts (its placed time); NULL until comment.received is handled.
    Column("created_at", DateTime(timezone=True)),
    # positive, neutral or negative; NULL until comment.moderated is handled.
    Column("sentiment", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_comment_attribution_updated_at", "updated_at"),
)
