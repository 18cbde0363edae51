"""refresh requests: which credentials of a workspace account the publisher asked the registry
to refresh after a network refused them, and when

Revision ID: 8f3b5d0e2a41
Revises: 7e2a4c9d1f30
Create Date: 2026-12-06 02:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8f3b5d0e2a41"
down_revision: str | None = "7e2a4c9d1f30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.add_column(
        "account",
        sa.Column("refresh_requested_version", sa.BigInteger(), nullable=True),
        schema="publisher",
    )
    op.add_column(
        "account",
        sa.Column("refresh_requested_at", sa.DateTime(timezone=True), nullable=True),
        schema="publisher",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_column("account", "refresh_requested_at", schema="publisher")
    op.drop_column("account", "refresh_requested_version", schema="publisher")
