"""Rollup rows, amounts held for posts not yet known, and the posts published through Beacon."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, Table, Text, func
from sqlalchemy.dialects.postgresql import UUID

from analytics.db import metadata

# One row per (tenant, brand, grain, dimension, bucket, key, metric), in that key order: every
# read is one contiguous index range per grain and brand (a brand's total over a period for the
# summary and series; every post or author of a brand over a period for rankings and
# breakdowns), so the primary key is the only index. `value` is in none, so adding to it can be a
# HOT update (hence the fillfactor).
rollup = Table(
    "rollup",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    # '' rather than NULL so events without a brand still share one primary-key row.
    Column("brand_id", Text, primary_key=True),
    Column("grain", Text, primary_key=True),
    Column("dimension", Text, primary_key=True),
    Column("bucket_start", DateTime(timezone=True), primary_key=True),
    # '' for the brand's total.
    Column("dimension_key", Text, primary_key=True),
    Column("metric", Text, primary_key=True),
    Column("value", BigInteger, nullable=False),
    postgresql_with={"fillfactor": 90},
)

# Amounts of facts about a post nobody published through Beacon yet (a comment read before its
# post's post.published), per UTC hour: moved to the post and its campaign (hour and day rows)
# when it is, purged past the lateness horizon.
pending_post_rollup = Table(
    "pending_post_rollup",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("network", Text, primary_key=True),
    Column("thread_external_id", Text, primary_key=True),
    Column("brand_id", Text, primary_key=True),
    Column("bucket_start", DateTime(timezone=True), primary_key=True),
    Column("metric", Text, primary_key=True),
    Column("value", BigInteger, nullable=False),
    Index("ix_pending_post_rollup_bucket_start", "bucket_start"),
)

# (network, the network's post id) → Beacon's post, from post.published.
published_post = Table(
    "published_post",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("network", Text, primary_key=True),
    Column("external_id", Text, primary_key=True),
    Column("post_id", UUID(as_uuid=True), nullable=False),
    Column("brand_id", Text, nullable=False),
    Column("campaign_id", Text),
    Column("account_key", Text),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_published_post_tenant_id_post_id", "tenant_id", "post_id"),
    # The attribution sweep looks at posts recorded lately.
    Index("ix_published_post_recorded_at", "recorded_at"),
)
