"""access expiry: when the registry says a workspace account's access token expires, so that a
token refused past its expiry is asked for again rather than flagged (the refresher was late)

Revision ID: 1c5d7f9a4e63
Revises: 0b4c6e8f3d52
Create Date: 2026-12-06 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1c5d7f9a4e63"
down_revision: str | None = "0b4c6e8f3d52"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.add_column(
        "connected_account",
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=True),
        schema="ingest",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_column("connected_account", "access_expires_at", schema="ingest")
