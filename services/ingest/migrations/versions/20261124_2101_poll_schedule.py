"""poll schedule shared by worker replicas

Revision ID: 5d1c0e7a9b21
Revises: 2a43470dca4e
Create Date: 2026-11-24 21:01:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d1c0e7a9b21"
down_revision: str | None = "2a43470dca4e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.add_column(
        "connected_account",
        sa.Column("poll_next_at", sa.DateTime(timezone=True), nullable=True),
        schema="ingest",
    )
    op.add_column(
        "connected_account",
        sa.Column("poll_failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        schema="ingest",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_column("connected_account", "poll_failures", schema="ingest")
    op.drop_column("connected_account", "poll_next_at", schema="ingest")
