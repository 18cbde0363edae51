"""bad buzz alerts

Revision ID: c8e2f3a4b5d6
Revises: b7d1e2f3a4c5
Create Date: 2026-11-25 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c8e2f3a4b5d6"
down_revision: str | None = "b7d1e2f3a4c5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "alert_signal",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("open_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("watermark", sa.DateTime(timezone=True), nullable=False),
        sa.Column("windows", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("mean", sa.Float(), server_default=sa.text("0"), nullable=False),
        sa.Column("variance", sa.Float(), server_default=sa.text("0"), nullable=False),
        sa.Column("calm_windows", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("open_alert_id", sa.UUID(), nullable=True),
        sa.Column("suppressed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "brand_id", "kind", name=op.f("pk_alert_signal")),
        schema="analytics",
    )
    op.create_index(
        "ix_alert_signal_watermark_watched",
        "alert_signal",
        ["watermark"],
        unique=False,
        schema="analytics",
        postgresql_where=sa.text("open_alert_id IS NOT NULL OR suppressed"),
    )
    op.create_table(
        "alert_window",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "brand_id", "kind", "window_start", name=op.f("pk_alert_window")
        ),
        schema="analytics",
    )
    op.create_table(
        "alert",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('open', 'resolved')", name=op.f("ck_alert_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
        schema="analytics",
    )
    op.create_index(
        "ix_alert_tenant_id_raised_at_id",
        "alert",
        ["tenant_id", "raised_at", "id"],
        unique=False,
        schema="analytics",
    )
    op.create_index(
        "uq_alert_tenant_id_brand_id_kind_open",
        "alert",
        ["tenant_id", "brand_id", "kind"],
        unique=True,
        schema="analytics",
        postgresql_where=sa.text("status = 'open'"),
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_index(
        "uq_alert_tenant_id_brand_id_kind_open",
        table_name="alert",
        schema="analytics",
        postgresql_where=sa.text("status = 'open'"),
    )
    op.drop_index("ix_alert_tenant_id_raised_at_id", table_name="alert", schema="analytics")
    op.drop_table("alert", schema="analytics")
    op.drop_table("alert_window", schema="analytics")
    op.drop_index(
        "ix_alert_signal_watermark_watched",
        table_name="alert_signal",
        schema="analytics",
        postgresql_where=sa.text("open_alert_id IS NOT NULL OR suppressed"),
    )
    op.drop_table("alert_signal", schema="analytics")
