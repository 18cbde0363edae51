"""brand pause on alert

Revision ID: e1a2b3c4d5f6
Revises: 9c5e13f4a6d7
Create Date: 2026-11-25 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e1a2b3c4d5f6"
down_revision: str | None = "9c5e13f4a6d7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.add_column(
        "brand_settings",
        sa.Column("pause_on_alert", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        schema="publisher",
    )
    op.create_table(
        "brand_pause",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=False),
        sa.Column("alert_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "brand_id", "alert_id", name=op.f("pk_brand_pause")),
        schema="publisher",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_table("brand_pause", schema="publisher")
    op.drop_column("brand_settings", "pause_on_alert", schema="publisher")
