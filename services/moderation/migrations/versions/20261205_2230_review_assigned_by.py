"""review items: who assigned them

Revision ID: 078e056f609c
Revises: e7639e65b88d
Create Date: 2026-12-05 22:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "078e056f609c"
down_revision: str | None = "e7639e65b88d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.add_column(
        "review_item", sa.Column("assigned_by", sa.Text(), nullable=True), schema="moderation"
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_column("review_item", "assigned_by", schema="moderation")
