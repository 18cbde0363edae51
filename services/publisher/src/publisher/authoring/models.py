"""A post as its author writes it, and its review history."""

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
from sqlalchemy.dialects.postgresql import JSONB, UUID

from beacon_shared.idempotency import KeyTable, idempotency_table
from publisher.db import metadata


class PostStatus(StrEnum):
    """Where a post stands: its workflow state, then derived from its targets once scheduled."""

    draft = "draft"
    in_review = "in_review"
    approved = "approved"
    scheduled = "scheduled"
    publishing = "publishing"
    published = "published"
    partially_published = "partially_published"
    failed = "failed"
    cancelled = "cancelled"


class ReviewDecision(StrEnum):
    """What a reviewer (or the author) did to a post."""

    submitted = "submitted"
    approved = "approved"
    changes_requested = "changes_requested"
    comment = "comment"


def _one_of(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


post = Table(
    "post",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("brand_id", Text),
    Column("campaign_id", Text),
    # Who wrote it; NULL for posts written before authors were recorded.
    Column("created_by", Text, comment="`user:<id>` or `key:<id>`"),
    Column("text", Text, nullable=False),
    Column("link", Text),
    # [{"url", "alt_text"}]: fetched (from public addresses only) when the post goes out.
    Column("media", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("first_comment", Text),
    # Per network, fields replacing the ones above: {"x": {"text": ...}, ...}.
    Column("variants", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("status", Text, nullable=False),
    # Null until a time is chosen (drafts); the earliest of its targets' due times.
    Column("scheduled_at", DateTime(timezone=True)),
    # The wall-clock time and zone a local schedule was given in, so a recurrence stays at that
    # local time across DST changes.
    Column("timezone", Text),
    Column("local_scheduled_at", DateTime(timezone=False)),
    Column("recurrence", Text),
    # The first post of a recurring series, and this post's place in it (0 for the first).
    Column("series_id", UUID(as_uuid=True)),
    Column("occurrence", Integer, nullable=False, server_default=text("0")),
    # The creating request's correlation id, carried into the events the scheduler emits later.
    Column("correlation_id", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(_one_of("status", PostStatus), name="status"),
    Index("ix_post_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
    Index("ix_post_tenant_id_scheduled_at", "tenant_id", "scheduled_at"),
    # One post per place in a recurring series, however many workers spawn the next one.
    UniqueConstraint("series_id", "occurrence"),
)

# The post each (tenant, Idempotency-Key) created, for as long as the post is kept.
idempotency_key = idempotency_table(metadata)
post_keys = KeyTable(idempotency_key)

post_review = Table(
    "post_review",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column(
        "post_id", UUID(as_uuid=True), ForeignKey(post.c.id, ondelete="CASCADE"), nullable=False
    ),
    Column("tenant_id", Text, nullable=False),
    Column("reviewer", Text, nullable=False),
    Column("decision", Text, nullable=False),
    Column("comment", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(_one_of("decision", ReviewDecision), name="decision"),
    Index("ix_post_review_post_id_created_at", "post_id", "created_at"),
)
