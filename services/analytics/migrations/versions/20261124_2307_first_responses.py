"""first responses

Revision ID: 3de361d9498d
Revises: f2216190b570
Create Date: 2026-11-24 23:07:30.544920
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3de361d9498d"
down_revision: str | None = "f2216190b570"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "first_response",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("interaction_id", sa.UUID(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=False),
        sa.Column("network", sa.Text(), nullable=False),
        sa.Column("commented_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "interaction_id", name=op.f("pk_first_response")),
        schema="analytics",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_table("first_response", schema="analytics")
