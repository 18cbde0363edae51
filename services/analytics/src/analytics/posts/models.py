"""The latest observed totals of each own post, to count the increments between observations."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Table, Text

from analytics.db import metadata

post_observation = Table(
    "post_observation",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("network", Text, primary_key=True),
    Column("post_external_id", Text, primary_key=True),
    # NULL until an observation carried the figure.
    Column("impressions", BigInteger),
    Column("reach", BigInteger),
    Column("observed_at", DateTime(timezone=True), nullable=False),
)
