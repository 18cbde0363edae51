"""what the author wants, as moderation reads it: on each decision and on its conversation

Revision ID: 1a6c8e4f2d97
Revises: 4d9e7b2a6c15
Create Date: 2026-12-06 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "1a6c8e4f2d97"
down_revision: str | None = "4d9e7b2a6c15"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.add_column("decision", sa.Column("intents", postgresql.ARRAY(sa.Text)), schema="inbox")
    op.add_column(
        "conversation",
        sa.Column("intents", postgresql.ARRAY(sa.Text), nullable=False, server_default="{}"),
        schema="inbox",
    )
    op.create_index(
        "ix_conversation_intents",
        "conversation",
        ["intents"],
        schema="inbox",
        postgresql_using="gin",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_index("ix_conversation_intents", table_name="conversation", schema="inbox")
    op.drop_column("conversation", "intents", schema="inbox")
    op.drop_column("decision", "intents", schema="inbox")
