"""sentiment from decisions: comment.moderated carries the comment, the half-join goes

Revision ID: 5f2a9c7e1d40
Revises: 3b7e0c5d9a21
Create Date: 2026-12-06 04:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5f2a9c7e1d40"
down_revision: str | None = "3b7e0c5d9a21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    # Sentiment is counted from comment.moderated alone (docs/analytics.md). Rows still waiting
    # for their other half are the comments in flight at the upgrade: a comment whose decision
    # was read before it is not counted in the sentiment mix.
    op.drop_index(
        "ix_comment_attribution_updated_at", table_name="comment_attribution", schema="analytics"
    )
    op.drop_table("comment_attribution", schema="analytics")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    # Empty again: comments decided while it was gone are not joined afterwards.
    op.create_table(
        "comment_attribution",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("interaction_id", sa.UUID(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=True),
        sa.Column("network", sa.Text(), nullable=True),
        sa.Column("account_key", sa.Text(), nullable=True),
        sa.Column("thread_external_id", sa.Text(), nullable=True),
        sa.Column("author_key", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sentiment", sa.Text(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("tenant_id", "interaction_id", name=op.f("pk_comment_attribution")),
        schema="analytics",
    )
    op.create_index(
        "ix_comment_attribution_updated_at",
        "comment_attribution",
        ["updated_at"],
        unique=False,
        schema="analytics",
    )
