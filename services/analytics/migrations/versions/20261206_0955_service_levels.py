"""service levels: the inbox's timed responses and resolutions, and its SLA breaches

Revision ID: a4c8e1f2b3d5
Revises: f3d6b7c8e9a0
Create Date: 2026-12-06 09:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a4c8e1f2b3d5"
down_revision: str | None = "f3d6b7c8e9a0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "sla_measure",
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=False),
        sa.Column("network", sa.Text(), nullable=False),
        sa.Column("member_id", sa.UUID()),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("stopped_at", AT, nullable=False),
        sa.Column("business_seconds", sa.Float(), nullable=False),
        sa.Column("target_seconds", sa.Integer()),
        sa.Column("met", sa.Boolean()),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_sla_measure")),
        schema="analytics",
    )
    op.create_index(
        "ix_sla_measure_brand",
        "sla_measure",
        ["tenant_id", "brand_id", "stopped_at"],
        schema="analytics",
    )
    op.create_table(
        "sla_breach",
        sa.Column("breach_id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=False),
        sa.Column("network", sa.Text(), nullable=False),
        sa.Column("member_id", sa.UUID()),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("due_at", AT, nullable=False),
        sa.PrimaryKeyConstraint("breach_id", name=op.f("pk_sla_breach")),
        schema="analytics",
    )
    op.create_index(
        "ix_sla_breach_brand", "sla_breach", ["tenant_id", "brand_id", "due_at"], schema="analytics"
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_index("ix_sla_breach_brand", table_name="sla_breach", schema="analytics")
    op.drop_table("sla_breach", schema="analytics")
    op.drop_index("ix_sla_measure_brand", table_name="sla_measure", schema="analytics")
    op.drop_table("sla_measure", schema="analytics")
