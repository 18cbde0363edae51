"""The brand_settings table."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Table, Text, func, text

from publisher.db import metadata

brand_settings = Table(
    "brand_settings",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("brand_id", Text, primary_key=True),
    # An IANA zone: calendars, local scheduling times and queue slots are read in it.
    Column("timezone", Text, nullable=False, server_default=text("'UTC'")),
    # When true, a post must be approved by a reviewer before it can be scheduled.
    Column("approval_required", Boolean, nullable=False, server_default=text("false")),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
