"""The minute-bucketed counter table."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, Table, Text

from analytics.db import metadata

# One row per (tenant, brand, metric, minute); coarser rollups are derived from it on read.
counter = Table(
    "counter",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    # '' rather than NULL so events without a brand still share one primary-key row.
    Column("brand_id", Text, primary_key=True),
    Column("metric", Text, primary_key=True),
    Column("bucket_start", DateTime(timezone=True), primary_key=True),
    Column("count", BigInteger, nullable=False),
    # Series across every brand filter on tenant, metric and time without a brand.
    Index("ix_counter_tenant_id_metric_bucket_start", "tenant_id", "metric", "bucket_start"),
)
