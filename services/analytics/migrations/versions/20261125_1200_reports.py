"""reports and weekly report schedules

Revision ID: e1a4b5c6d7f8
Revises: d9f3a4b5c6e7
Create Date: 2026-11-25 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "e1a4b5c6d7f8"
down_revision: str | None = "d9f3a4b5c6e7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "report",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("timezone", sa.Text(), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.CheckConstraint("origin IN ('request', 'schedule')", name=op.f("ck_report_origin")),
        sa.CheckConstraint("period_end > period_start", name=op.f("ck_report_period")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report")),
        schema="analytics",
    )
    op.create_index(
        "ix_report_tenant_id_generated_at_id",
        "report",
        ["tenant_id", "generated_at", "id"],
        unique=False,
        schema="analytics",
    )
    op.create_table(
        "report_schedule",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_report_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("weekday BETWEEN 1 AND 7", name=op.f("ck_report_schedule_weekday")),
        sa.CheckConstraint("hour BETWEEN 0 AND 23", name=op.f("ck_report_schedule_hour")),
        sa.PrimaryKeyConstraint("tenant_id", "brand_id", name=op.f("pk_report_schedule")),
        schema="analytics",
    )
    op.create_index(
        "ix_report_schedule_next_run_at",
        "report_schedule",
        ["next_run_at"],
        unique=False,
        schema="analytics",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_index(
        "ix_report_schedule_next_run_at", table_name="report_schedule", schema="analytics"
    )
    op.drop_table("report_schedule", schema="analytics")
    op.drop_index("ix_report_tenant_id_generated_at_id", table_name="report", schema="analytics")
    op.drop_table("report", schema="analytics")
