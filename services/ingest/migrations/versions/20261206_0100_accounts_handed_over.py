"""accounts handed over: when ingest handed its own account over to the workspace's registry

Revision ID: 9a3b5d7e2c41
Revises: 854e1f5b6139
Create Date: 2026-12-06 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9a3b5d7e2c41"
down_revision: str | None = "854e1f5b6139"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.add_column(
        "connected_account",
        sa.Column("handed_over_at", sa.DateTime(timezone=True), nullable=True),
        schema="ingest",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_column("connected_account", "handed_over_at", schema="ingest")
