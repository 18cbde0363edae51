"""The bad-buzz tables: each signal's detector state, its open windows' counts, and the alerts."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from analytics.db import metadata


class AlertStatus(StrEnum):
    """Whether an alert is still open."""

    open = "open"
    resolved = "resolved"


# One row per (tenant, brand, kind): where its windows stand and its baseline.
alert_signal = Table(
    "alert_signal",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("brand_id", Text, primary_key=True),
    Column("kind", Text, primary_key=True),
    # The oldest window not evaluated yet; a later event for an older window is counted in it.
    Column("open_start", DateTime(timezone=True), nullable=False),
    # The newest event time seen (or the clock, for a quiet brand with an alert open).
    Column("watermark", DateTime(timezone=True), nullable=False),
    Column("windows", Integer, nullable=False, server_default=text("0")),
    Column("mean", Float, nullable=False, server_default=text("0")),
    Column("variance", Float, nullable=False, server_default=text("0")),
    Column("calm_windows", Integer, nullable=False, server_default=text("0")),
    Column("open_alert_id", UUID(as_uuid=True)),
    Column("suppressed", Boolean, nullable=False, server_default=text("false")),
    # When an event last reached it, by the clock (the clock job leaves it as it is).
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # The clock job visits only the signals it may have to resolve.
    Index(
        "ix_alert_signal_watermark_watched",
        "watermark",
        postgresql_where=text("open_alert_id IS NOT NULL OR suppressed"),
    ),
)

# Counts of windows not evaluated yet; deleted once their window is.
alert_window = Table(
    "alert_window",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("brand_id", Text, primary_key=True),
    Column("kind", Text, primary_key=True),
    Column("window_start", DateTime(timezone=True), primary_key=True),
    Column("count", Integer, nullable=False),
)

alert = Table(
    "alert",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("brand_id", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("status", Text, nullable=False),
    # The window that raised it: its count, what the baseline expected, and the z-score.
    Column("value", Float, nullable=False),
    Column("baseline", Float, nullable=False),
    Column("score", Float, nullable=False),
    Column("window_start", DateTime(timezone=True), nullable=False),
    Column("window_end", DateTime(timezone=True), nullable=False),
    Column("raised_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    # `baseline` or `user:<id>`.
    Column("resolved_by", Text),
    CheckConstraint("status IN ('open', 'resolved')", name="status"),
    Index("ix_alert_tenant_id_raised_at_id", "tenant_id", "raised_at", "id"),
    # At most one open alert per brand and kind, whatever races.
    Index(
        "uq_alert_tenant_id_brand_id_kind_open",
        "tenant_id",
        "brand_id",
        "kind",
        unique=True,
        postgresql_where=text("status = 'open'"),
    ),
)
