"""The brand_settings and brand_pause tables: the workspace's brand settings as
`brand.configured` announces them, and the bad-buzz alerts that pause a brand."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Table, Text, func, text
from sqlalchemy.dialects.postgresql import UUID

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
    # When true, the brand's due posts wait while one of its bad-buzz alerts is open.
    Column("pause_on_alert", Boolean, nullable=False, server_default=text("false")),
    # When true, a post's author may approve it themselves (if they may approve at all).
    Column("self_approval_allowed", Boolean, nullable=False, server_default=text("false")),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Every bad-buzz alert analytics raised for a brand, open until resolved_at is set. Kept for all
# brands, so turning pause_on_alert on during an alert pauses at once. A resolution that arrives
# before its alert (they travel on different topics) leaves the row resolved, so the late raise
# finds it and changes nothing.
brand_pause = Table(
    "brand_pause",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("brand_id", Text, primary_key=True),
    Column("alert_id", UUID(as_uuid=True), primary_key=True),
    Column("kind", Text, nullable=False),
    # When analytics raised it; null while only its resolution is known.
    Column("since", DateTime(timezone=True)),
    Column("resolved_at", DateTime(timezone=True)),
)
