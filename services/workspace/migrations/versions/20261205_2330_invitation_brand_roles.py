"""invitations may give brand roles

Revision ID: d91f3a6b8c27
Revises: c3f8a6e2d104
Create Date: 2026-12-05 23:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "d91f3a6b8c27"
down_revision: str | None = "c3f8a6e2d104"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.add_column(
        "invitation",
        sa.Column(
            "brand_roles",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
            comment="The role on each brand the invitee will work on; {}: every brand.",
        ),
        schema="workspace",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_column("invitation", "brand_roles", schema="workspace")
