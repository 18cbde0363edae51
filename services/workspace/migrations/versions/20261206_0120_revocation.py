"""tokens to revoke at the network after a disconnection

Revision ID: 7a2c5e9d4b13
Revises: d91f3a6b8c27
Create Date: 2026-12-06 01:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7a2c5e9d4b13"
down_revision: str | None = "d91f3a6b8c27"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "revocation",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("network", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("instance_url", sa.Text(), nullable=True),
        sa.Column("credentials", sa.LargeBinary(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "due_at", sa.DateTime(timezone=True), nullable=False, comment="The next attempt."
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revocation")),
        schema="workspace",
    )
    op.create_index(
        "ix_revocation_due_at", "revocation", ["due_at"], unique=False, schema="workspace"
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_index("ix_revocation_due_at", table_name="revocation", schema="workspace")
    op.drop_table("revocation", schema="workspace")
