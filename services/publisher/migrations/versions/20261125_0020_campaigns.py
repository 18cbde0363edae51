"""campaigns

Revision ID: 8b4d02e3f5c6
Revises: 7a3c91d2e4b5
Create Date: 2026-11-25 00:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8b4d02e3f5c6"
down_revision: str | None = "7a3c91d2e4b5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "campaign",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("utm_campaign", sa.Text(), nullable=False),
        sa.Column("utm_medium", sa.Text(), nullable=False),
        sa.Column("cost_amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("currency", sa.Text(), nullable=True),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
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
            "kind IN ('event', 'promotion', 'launch', 'other')", name=op.f("ck_campaign_kind")
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_campaign_ends_after_starts")),
        sa.CheckConstraint("cost_amount >= 0", name=op.f("ck_campaign_cost_not_negative")),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_campaign_currency_code")),
        sa.CheckConstraint(
            "cost_amount IS NULL OR currency IS NOT NULL",
            name=op.f("ck_campaign_cost_has_currency"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign")),
        sa.UniqueConstraint(
            "tenant_id", "utm_campaign", name=op.f("uq_campaign_tenant_id_utm_campaign")
        ),
        schema="publisher",
    )
    op.create_index(
        "ix_campaign_tenant_id_created_at_id",
        "campaign",
        ["tenant_id", "created_at", "id"],
        unique=False,
        schema="publisher",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_index("ix_campaign_tenant_id_created_at_id", table_name="campaign", schema="publisher")
    op.drop_table("campaign", schema="publisher")
