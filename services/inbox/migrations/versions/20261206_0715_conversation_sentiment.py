"""conversations by sentiment, for its lists and counts

Revision ID: 9c4e2a7b5d18
Revises: 2f9b7e4d1c86
Create Date: 2026-12-06 07:15:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "9c4e2a7b5d18"
down_revision: str | None = "2f9b7e4d1c86"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_index(
        "ix_conversation_sentiment",
        "conversation",
        ["tenant_id", "sentiment", "status", "last_message_at", "id"],
        schema="inbox",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_index("ix_conversation_sentiment", table_name="conversation", schema="inbox")
