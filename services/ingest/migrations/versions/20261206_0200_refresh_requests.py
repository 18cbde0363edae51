"""refresh requests: which credentials of a workspace account ingest asked the registry to
refresh after a network refused them, and when

Revision ID: 0b4c6e8f3d52
Revises: 9a3b5d7e2c41
Create Date: 2026-12-06 02:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0b4c6e8f3d52"
down_revision: str | None = "9a3b5d7e2c41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.add_column(
        "connected_account",
        sa.Column("refresh_requested_version", sa.BigInteger(), nullable=True),
        schema="ingest",
    )
    op.add_column(
        "connected_account",
        sa.Column("refresh_requested_at", sa.DateTime(timezone=True), nullable=True),
        schema="ingest",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_column("connected_account", "refresh_requested_at", schema="ingest")
    op.drop_column("connected_account", "refresh_requested_version", schema="ingest")
