"""outbox retention

Revision ID: e7639e65b88d
Revises: 0a1b2c3d4e5f
Create Date: 2026-12-05 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e7639e65b88d"
down_revision: str | None = "0a1b2c3d4e5f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    # Relayed rows are kept for the retention window (beacon_shared.outbox); the rows already
    # here were never acknowledged (the relay deleted those), so they stay unsent.
    op.add_column(
        "outbox",
        sa.Column("relayed_at", sa.DateTime(timezone=True), nullable=True),
        schema="moderation",
    )
    op.add_column(
        "outbox", sa.Column("relayed_partition", sa.Integer(), nullable=True), schema="moderation"
    )
    op.add_column(
        "outbox", sa.Column("relayed_offset", sa.BigInteger(), nullable=True), schema="moderation"
    )
    op.create_index(
        "ix_outbox_unsent",
        "outbox",
        ["id"],
        unique=False,
        schema="moderation",
        postgresql_where=sa.text("relayed_at IS NULL"),
    )
    op.create_index(
        "ix_outbox_relayed_at",
        "outbox",
        ["relayed_at"],
        unique=False,
        schema="moderation",
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
        schema="moderation",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    # The previous relay deletes what it sends: rows already relayed must not be sent again.
    op.execute("DELETE FROM moderation.outbox WHERE relayed_at IS NOT NULL")
    op.drop_table("outbox_position", schema="moderation")
    op.drop_index("ix_outbox_relayed_at", table_name="outbox", schema="moderation")
    op.drop_index("ix_outbox_unsent", table_name="outbox", schema="moderation")
    op.drop_column("outbox", "relayed_offset", schema="moderation")
    op.drop_column("outbox", "relayed_partition", schema="moderation")
    op.drop_column("outbox", "relayed_at", schema="moderation")
