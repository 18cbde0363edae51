"""The post and post_target tables."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from publisher.db import metadata


class PostStatus(StrEnum):
    """Where a post stands, derived from its targets once publishing starts."""

    scheduled = "scheduled"
    publishing = "publishing"
    published = "published"
    partially_published = "partially_published"
    failed = "failed"
    cancelled = "cancelled"


class TargetStatus(StrEnum):
    """Where one target (a post on one account) stands."""

    scheduled = "scheduled"
    publishing = "publishing"
    published = "published"
    failed = "failed"
    cancelled = "cancelled"


def _one_of(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


post = Table(
    "post",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("brand_id", Text),
    Column("campaign_id", Text),
    Column("text", Text, nullable=False),
    Column("link", Text),
    Column("status", Text, nullable=False),
    Column("scheduled_at", DateTime(timezone=True), nullable=False),
    # The client's Idempotency-Key and a fingerprint of the body it came with.
    Column("idempotency_key", Text),
    Column("request_hash", Text),
    # The creating request's correlation id, carried into the events the scheduler emits later.
    Column("correlation_id", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(_one_of("status", PostStatus), name="status"),
    UniqueConstraint("tenant_id", "idempotency_key"),
    Index("ix_post_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
    Index("ix_post_tenant_id_scheduled_at", "tenant_id", "scheduled_at"),
)

post_target = Table(
    "post_target",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column(
        "post_id", UUID(as_uuid=True), ForeignKey(post.c.id, ondelete="CASCADE"), nullable=False
    ),
    Column("tenant_id", Text, nullable=False),
    Column("account_id", Text, nullable=False),
    Column("network", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("lease_until", DateTime(timezone=True)),
    Column("claimed_by", Text),
    Column("external_id", Text),
    Column("url", Text),
    Column("error", Text),
    Column("published_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(_one_of("status", TargetStatus), name="status"),
    UniqueConstraint("post_id", "account_id", "network"),
    # The scheduler's two scans: due targets, and claims whose lease ran out.
    Index(
        "ix_post_target_due_at_scheduled",
        "due_at",
        postgresql_where=text("status = 'scheduled'"),
    ),
    Index(
        "ix_post_target_lease_until_publishing",
        "lease_until",
        postgresql_where=text("status = 'publishing'"),
    ),
)
