"""the brand's messages heard of before their thread, kept until it is filed

Revision ID: 8f3a6c1e5b24
Revises: 6b2d9f4e8a13
Create Date: 2026-12-06 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "8f3a6c1e5b24"
down_revision: str | None = "6b2d9f4e8a13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unthreaded_outbound",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("tenant_id", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("payload", postgresql.JSONB, nullable=False),
        sa.Column("kept_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        schema="inbox",
    )
    op.create_index(
        "ix_unthreaded_outbound_next_at", "unthreaded_outbound", ["next_at"], schema="inbox"
    )


def downgrade() -> None:
    op.drop_table("unthreaded_outbound", schema="inbox")
