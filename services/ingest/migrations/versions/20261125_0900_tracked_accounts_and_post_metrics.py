"""tracked competitor accounts and the post metrics poll schedule

Revision ID: f2b3c4d5e6a7
Revises: e3de5d11b903
Create Date: 2026-11-25 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f2b3c4d5e6a7"
down_revision: str | None = "e3de5d11b903"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "tracked_account",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=False),
        sa.Column("network", sa.Text(), nullable=False),
        sa.Column("external_account_id", sa.Text(), nullable=False),
        sa.Column("handle", sa.Text(), nullable=True),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("instance_url", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default=sa.text("'active'"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('active', 'paused')", name=op.f("ck_tracked_account_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracked_account")),
        sa.UniqueConstraint(
            "tenant_id",
            "brand_id",
            "network",
            "external_account_id",
            name="uq_tracked_account_brand_network_account",
        ),
        schema="ingest",
    )
    op.create_index(
        "ix_tracked_account_tenant_id_created_at_id",
        "tracked_account",
        ["tenant_id", "created_at", "id"],
        unique=False,
        schema="ingest",
    )
    op.create_table(
        "post_metrics_poll",
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("polled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "owner IN ('own', 'competitor')", name=op.f("ck_post_metrics_poll_owner")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_post_metrics_poll")),
        schema="ingest",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_table("post_metrics_poll", schema="ingest")
    op.drop_index(
        "ix_tracked_account_tenant_id_created_at_id",
        table_name="tracked_account",
        schema="ingest",
    )
    op.drop_table("tracked_account", schema="ingest")
