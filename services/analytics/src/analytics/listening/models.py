"""Listening tables: each observed post's latest totals, per-day account aggregates, hourly
term counts."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, DateTime, Index, Table, Text

from analytics.db import metadata

# The latest totals of each post, per brand that observes it (two brands of a tenant may track
# the same competitor). Aggregates receive the difference between an observation and this row.
observed_post = Table(
    "observed_post",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    # '' for posts of accounts without a brand.
    Column("brand_id", Text, primary_key=True),
    # own or competitor.
    Column("owner", Text, primary_key=True),
    Column("network", Text, primary_key=True),
    Column("post_external_id", Text, primary_key=True),
    Column("account_external_id", Text, nullable=False),
    Column("competitor_id", Text),
    Column("post_created_at", DateTime(timezone=True), nullable=False),
    # The brand's day the post was published on when first seen: its aggregate row.
    Column("day", Date, nullable=False),
    Column("likes", BigInteger, nullable=False),
    Column("comments", BigInteger, nullable=False),
    Column("shares", BigInteger, nullable=False),
    Column("observed_at", DateTime(timezone=True), nullable=False),
    # Best times read one account's posts over a window.
    Index(
        "ix_observed_post_account_post_created_at",
        "tenant_id",
        "network",
        "account_external_id",
        "post_created_at",
    ),
)

# Per brand, owner, account and publication day: posts and their engagement (latest totals).
account_engagement_day = Table(
    "account_engagement_day",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("brand_id", Text, primary_key=True),
    Column("owner", Text, primary_key=True),
    Column("network", Text, primary_key=True),
    Column("account_external_id", Text, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("competitor_id", Text),
    Column("account_handle", Text),
    Column("posts", BigInteger, nullable=False),
    Column("likes", BigInteger, nullable=False),
    Column("comments", BigInteger, nullable=False),
    Column("shares", BigInteger, nullable=False),
)

# Texts mentioning each term per brand, source and UTC hour.
term_hour = Table(
    "term_hour",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("brand_id", Text, primary_key=True),
    Column("term", Text, primary_key=True),
    # comment (comment.received), own_post or competitor_post (post.metrics.observed).
    Column("source", Text, primary_key=True),
    Column("hour_start", DateTime(timezone=True), primary_key=True),
    Column("count", BigInteger, nullable=False),
    # Top terms of a period scan one brand's hours.
    Index("ix_term_hour_tenant_id_brand_id_hour_start", "tenant_id", "brand_id", "hour_start"),
)
