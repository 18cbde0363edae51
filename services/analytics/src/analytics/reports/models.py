"""The reports tables: reports as generated (their figures frozen), and weekly schedules."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Index,
    SmallInteger,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from analytics.db import metadata

report = Table(
    "report",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("brand_id", Text, nullable=False),
    Column("period_start", DateTime(timezone=True), nullable=False),
    Column("period_end", DateTime(timezone=True), nullable=False),
    # The brand's zone when it was generated: its days and its week.
    Column("timezone", Text, nullable=False),
    # `request` (POST /v1/reports) or `schedule` (the weekly job).
    Column("origin", Text, nullable=False),
    Column("generated_at", DateTime(timezone=True), nullable=False),
    # The figures as computed then: downloads render them, so a report never changes once sent.
    Column("content", JSONB, nullable=False),
    CheckConstraint("origin IN ('request', 'schedule')", name="origin"),
    CheckConstraint("period_end > period_start", name="period"),
    Index("ix_report_tenant_id_generated_at_id", "tenant_id", "generated_at", "id"),
)

# One weekly schedule per brand: an ISO weekday and an hour of the brand's local time.
report_schedule = Table(
    "report_schedule",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("brand_id", Text, primary_key=True),
    Column("weekday", SmallInteger, nullable=False),
    Column("hour", SmallInteger, nullable=False),
    # The next run as an instant, computed from the local wall time: it keeps its local hour
    # across DST changes.
    Column("next_run_at", DateTime(timezone=True), nullable=False),
    Column("last_report_id", UUID(as_uuid=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("weekday BETWEEN 1 AND 7", name="weekday"),
    CheckConstraint("hour BETWEEN 0 AND 23", name="hour"),
    # The job claims the due ones, oldest first.
    Index("ix_report_schedule_next_run_at", "next_run_at"),
)
