"""outbox

Revision ID: 4b8e0c2d71a5
Revises:
Create Date: 2026-12-05 20:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "4b8e0c2d71a5"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("headers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("relayed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("relayed_partition", sa.Integer(), nullable=True),
        sa.Column("relayed_offset", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        schema="workspace",
    )
    op.create_index(
        "ix_outbox_unsent",
        "outbox",
        ["id"],
        unique=False,
        schema="workspace",
        postgresql_where=sa.text("relayed_at IS NULL"),
    )
    op.create_index(
        "ix_outbox_relayed_at",
        "outbox",
        ["relayed_at"],
        unique=False,
        schema="workspace",
        postgresql_where=sa.text("relayed_at IS NOT NULL"),
    )
    op.create_table(
        "outbox_position",
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Text(), nullable=False),
        sa.Column("acked_offset", sa.BigInteger(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("topic", "partition", name=op.f("pk_outbox_position")),
        schema="workspace",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_table("outbox_position", schema="workspace")
    op.drop_index("ix_outbox_relayed_at", table_name="outbox", schema="workspace")
    op.drop_index("ix_outbox_unsent", table_name="outbox", schema="workspace")
    op.drop_table("outbox", schema="workspace")
