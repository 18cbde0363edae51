"""messages newest first by brand, for searches kept to some brands

Revision ID: 2f9b7e4d1c86
Revises: 5a7e3c91d2f4
Create Date: 2026-12-06 07:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2f9b7e4d1c86"
down_revision: str | None = "5a7e3c91d2f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_index(
        "ix_message_brand_recent",
        "message",
        ["tenant_id", "brand_id", "created_at"],
        schema="inbox",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_index("ix_message_brand_recent", table_name="message", schema="inbox")
