"""accounts handed over: when the publisher handed its own account over to the workspace's
registry

Revision ID: 7e2a4c9d1f30
Revises: 6d1f0b8e3c25
Create Date: 2026-12-06 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7e2a4c9d1f30"
down_revision: str | None = "6d1f0b8e3c25"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.add_column(
        "account",
        sa.Column("handed_over_at", sa.DateTime(timezone=True), nullable=True),
        schema="publisher",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_column("account", "handed_over_at", schema="publisher")
