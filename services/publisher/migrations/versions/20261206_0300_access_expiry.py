"""access expiry: when the registry says a workspace account's access token expires, so that a
token refused past its expiry is asked for again rather than flagged (the refresher was late)

Revision ID: 9a4c6e1f3b52
Revises: 8f3b5d0e2a41
Create Date: 2026-12-06 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9a4c6e1f3b52"
down_revision: str | None = "8f3b5d0e2a41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.add_column(
        "account",
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=True),
        schema="publisher",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_column("account", "access_expires_at", schema="publisher")
