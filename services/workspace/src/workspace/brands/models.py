"""The brand table: a brand's name and settings (its id is also in `iam.brand`, which every
service checks requests against)."""

from __future__ import annotations

from sqlalchemy import ARRAY, Boolean, Column, DateTime, Table, Text, func, text

from workspace.db import metadata

brand = Table(
    "brand",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    # An IANA zone: the brand's days, calendars and business hours are read in it.
    Column("timezone", Text, nullable=False, server_default=text("'UTC'")),
    Column("languages", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("approval_required", Boolean, nullable=False, server_default=text("false")),
    Column("self_approval_allowed", Boolean, nullable=False, server_default=text("false")),
    Column("pause_on_alert", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Moves forward at every change; consumers keep per brand the latest configuration by it.
    Column("configured_at", DateTime(timezone=True), nullable=False),
    Column("deleted_at", DateTime(timezone=True)),
)
