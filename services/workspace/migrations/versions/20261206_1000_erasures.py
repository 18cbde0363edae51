"""erasure requests and each service's report on them

Revision ID: 4e8b2d7f1a90
Revises: 7a2c5e9d4b13
Create Date: 2026-12-06 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "4e8b2d7f1a90"
down_revision: str | None = "7a2c5e9d4b13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "erasure",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=True),
        sa.Column("network", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure")),
        schema="workspace",
    )
    op.create_index(
        "ix_erasure_tenant_id_requested_at",
        "erasure",
        ["tenant_id", "requested_at", "id"],
        unique=False,
        schema="workspace",
    )
    op.create_table(
        "erasure_step",
        sa.Column("erasure_id", sa.UUID(), nullable=False),
        sa.Column("service", sa.Text(), nullable=False),
        sa.Column("erased", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["erasure_id"],
            ["workspace.erasure.id"],
            name=op.f("fk_erasure_step_erasure_id_erasure"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("erasure_id", "service", name=op.f("pk_erasure_step")),
        schema="workspace",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_table("erasure_step", schema="workspace")
    op.drop_index("ix_erasure_tenant_id_requested_at", table_name="erasure", schema="workspace")
    op.drop_table("erasure", schema="workspace")
