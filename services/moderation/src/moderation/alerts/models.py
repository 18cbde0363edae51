"""The brand_alert table: the bad-buzz alerts analytics raised, open until resolved."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Table, Text
from sqlalchemy.dialects.postgresql import UUID

from moderation.db import metadata

# A resolution arriving before its alert (they travel on different topics) leaves a resolved
# row, so the late raise finds it and changes nothing.
brand_alert = Table(
    "brand_alert",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("brand_id", Text, primary_key=True),
    Column("alert_id", UUID(as_uuid=True), primary_key=True),
    Column("kind", Text, nullable=False),
    # When analytics raised it; null while only its resolution is known.
    Column("since", DateTime(timezone=True)),
    Column("resolved_at", DateTime(timezone=True)),
)
