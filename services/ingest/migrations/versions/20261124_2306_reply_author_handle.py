"""reply author handle

Revision ID: e3de5d11b903
Revises: 0fed530a3122
Create Date: 2026-11-24 23:06:15.080503
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e3de5d11b903"
down_revision: str | None = "0fed530a3122"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.add_column(
        "network_action", sa.Column("author_handle", sa.Text(), nullable=True), schema="ingest"
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_column("network_action", "author_handle", schema="ingest")
