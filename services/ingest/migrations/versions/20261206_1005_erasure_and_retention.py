"""interactions erased on request keep only their ids; raw payloads cleared after retention

Revision ID: 2d6e8a0b5f74
Revises: 7e2a4c6b8d10
Create Date: 2026-12-06 10:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2d6e8a0b5f74"
down_revision: str | None = "7e2a4c6b8d10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.alter_column("interaction", "raw", nullable=True, schema="ingest")
    op.add_column(
        "interaction",
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        schema="ingest",
    )
    op.create_index(
        "ix_interaction_author",
        "interaction",
        ["tenant_id", "network", "author_id"],
        unique=False,
        schema="ingest",
    )
    op.create_index(
        "ix_interaction_raw_received_at",
        "interaction",
        ["received_at"],
        unique=False,
        schema="ingest",
        postgresql_where=sa.text("raw IS NOT NULL"),
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_index("ix_interaction_raw_received_at", table_name="interaction", schema="ingest")
    op.drop_index("ix_interaction_author", table_name="interaction", schema="ingest")
    op.drop_column("interaction", "erased_at", schema="ingest")
    op.execute("UPDATE ingest.interaction SET raw = '{}'::jsonb WHERE raw IS NULL")
    op.alter_column("interaction", "raw", nullable=False, schema="ingest")
