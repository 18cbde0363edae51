"""The brands of each tenant and their time zones."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Table, Text

from analytics.db import metadata

brand = Table(
    "brand",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    # '' for events without a brand, like the rollups.
    Column("brand_id", Text, primary_key=True),
    # IANA zone from brand.configured; NULL (days in UTC) until the brand is configured.
    Column("timezone", Text),
    Column("configured_at", DateTime(timezone=True)),
)
