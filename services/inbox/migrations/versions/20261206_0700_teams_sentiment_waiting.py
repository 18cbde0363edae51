"""teams; a conversation's team, sentiment and since when it waits for an answer

Revision ID: 8d2c6f0a9b13
Revises: 3e8b1d52c4a7
Create Date: 2026-12-06 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8d2c6f0a9b13"
down_revision: str | None = "3e8b1d52c4a7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "team",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_team_tenant_id_name")),
        schema="inbox",
    )
    op.create_index("ix_team_tenant_id", "team", ["tenant_id", "created_at", "id"], schema="inbox")
    op.add_column("conversation", sa.Column("team_id", sa.UUID(), nullable=True), schema="inbox")
    op.add_column("conversation", sa.Column("sentiment", sa.Text(), nullable=True), schema="inbox")
    op.add_column(
        "conversation",
        sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True),
        schema="inbox",
    )
    op.create_foreign_key(
        op.f("fk_conversation_team_id_team"),
        "conversation",
        "team",
        ["team_id"],
        ["id"],
        source_schema="inbox",
        referent_schema="inbox",
        ondelete="SET NULL",
    )
    op.create_check_constraint(
        op.f("ck_conversation_sentiment"),
        "conversation",
        "sentiment IS NULL OR sentiment IN ('negative', 'neutral', 'positive')",
        schema="inbox",
    )
    op.create_index(
        "ix_conversation_team",
        "conversation",
        ["tenant_id", "team_id", "status", "last_message_at", "id"],
        schema="inbox",
    )
    op.create_index(
        "ix_conversation_waiting",
        "conversation",
        ["tenant_id", "status", "last_message_at", "id"],
        schema="inbox",
        postgresql_where=sa.text("waiting_since IS NOT NULL"),
    )
    op.add_column("decision", sa.Column("sentiment", sa.Text(), nullable=True), schema="inbox")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_column("decision", "sentiment", schema="inbox")
    op.drop_index("ix_conversation_waiting", table_name="conversation", schema="inbox")
    op.drop_index("ix_conversation_team", table_name="conversation", schema="inbox")
    op.drop_constraint(op.f("ck_conversation_sentiment"), "conversation", schema="inbox")
    op.drop_constraint(op.f("fk_conversation_team_id_team"), "conversation", schema="inbox")
    op.drop_column("conversation", "waiting_since", schema="inbox")
    op.drop_column("conversation", "sentiment", schema="inbox")
    op.drop_column("conversation", "team_id", schema="inbox")
    op.drop_index("ix_team_tenant_id", table_name="team", schema="inbox")
    op.drop_table("team", schema="inbox")
