"""The comment table: what review screens and rule dry-runs read, without asking ingest."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, PrimaryKeyConstraint, Table, Text, text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from moderation.db import metadata

comment = Table(
    "comment",
    metadata,
    Column("tenant_id", Text, nullable=False),
    Column("interaction_id", UUID(as_uuid=True), nullable=False),
    Column("brand_id", Text),
    Column("account_id", Text),
    Column("network", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("external_id", Text, nullable=False),
    Column("parent_external_id", Text),
    Column("thread_external_id", Text),
    Column("author_id", Text, nullable=False),
    Column("author_handle", Text),
    Column("author_name", Text),
    Column("author_followers", Integer),
    Column("text", Text, nullable=False),
    Column("language", Text, nullable=False),
    # classify.text.fingerprint: finds the same text posted by many authors.
    Column("fingerprint", Text),
    # Scores, reasons, intents and signals as the classifier gave them (see comments.service).
    Column("classification", JSONB, nullable=False, server_default=text("'{}'")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("tenant_id", "interaction_id"),
    # A dry-run replays a brand's latest comments.
    Index("ix_comment_tenant_id_brand_id_received_at", "tenant_id", "brand_id", "received_at"),
    Index(
        "ix_comment_tenant_id_fingerprint_received_at",
        "tenant_id",
        "fingerprint",
        "received_at",
        postgresql_where=text("fingerprint IS NOT NULL"),
    ),
)
