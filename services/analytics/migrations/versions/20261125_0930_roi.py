"""roi: campaigns, utm claims, publications, conversions and their daily rollup

Revision ID: b7d1e2f3a4c5
Revises: a6c0f1e2d3b4
Create Date: 2026-11-25 09:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7d1e2f3a4c5"
down_revision: str | None = "a6c0f1e2d3b4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "campaign",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("campaign_id", sa.UUID(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("utm_campaign", sa.Text(), nullable=False),
        sa.Column("utm_medium", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cost_amount", sa.Numeric(14, 2), nullable=True),
        sa.Column("currency", sa.Text(), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "campaign_id", name=op.f("pk_campaign")),
        schema="analytics",
    )
    op.create_index(
        "ix_campaign_tenant_id_created_at_campaign_id",
        "campaign",
        ["tenant_id", "created_at", "campaign_id"],
        unique=False,
        schema="analytics",
    )
    op.create_table(
        "utm_claim",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("utm_campaign", sa.Text(), nullable=False),
        sa.Column("campaign_id", sa.UUID(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "utm_campaign", "campaign_id", name=op.f("pk_utm_claim")
        ),
        schema="analytics",
    )
    op.create_table(
        "campaign_publication",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("target_id", sa.UUID(), nullable=False),
        sa.Column("campaign_id", sa.UUID(), nullable=False),
        sa.Column("post_id", sa.UUID(), nullable=False),
        sa.Column("network", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "target_id", name=op.f("pk_campaign_publication")),
        schema="analytics",
    )
    op.create_index(
        "ix_campaign_publication_tenant_id_campaign_id",
        "campaign_publication",
        ["tenant_id", "campaign_id"],
        unique=False,
        schema="analytics",
    )
    op.create_table(
        "conversion",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("conversion_id", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.Text(), nullable=True),
        sa.Column("request_hash", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Numeric(18, 4), nullable=True),
        sa.Column("currency", sa.Text(), nullable=True),
        sa.Column("utm_source", sa.Text(), nullable=True),
        sa.Column("utm_medium", sa.Text(), nullable=True),
        sa.Column("utm_campaign", sa.Text(), nullable=True),
        sa.Column("utm_content", sa.Text(), nullable=True),
        sa.Column("network", sa.Text(), nullable=True),
        sa.Column("post_id", sa.UUID(), nullable=True),
        sa.Column("campaign_id", sa.UUID(), nullable=True),
        sa.Column("unattributed_reason", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attributed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('click', 'conversion')", name=op.f("ck_conversion_kind")),
        sa.CheckConstraint(
            "(value IS NULL) = (currency IS NULL)", name=op.f("ck_conversion_value_has_currency")
        ),
        sa.CheckConstraint(
            "kind = 'conversion' OR value IS NULL",
            name=op.f("ck_conversion_clicks_have_no_value"),
        ),
        sa.CheckConstraint("value >= 0", name=op.f("ck_conversion_value_not_negative")),
        sa.CheckConstraint(
            "(campaign_id IS NULL) = (unattributed_reason IS NOT NULL)",
            name=op.f("ck_conversion_attributed_or_reason"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversion")),
        sa.UniqueConstraint(
            "tenant_id", "conversion_id", name=op.f("uq_conversion_tenant_id_conversion_id")
        ),
        sa.UniqueConstraint(
            "tenant_id", "idempotency_key", name=op.f("uq_conversion_tenant_id_idempotency_key")
        ),
        schema="analytics",
    )
    op.create_index(
        "ix_conversion_unattributed",
        "conversion",
        ["tenant_id", "utm_campaign"],
        unique=False,
        schema="analytics",
        postgresql_where=sa.text("campaign_id IS NULL"),
    )
    op.create_table(
        "conversion_day",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("campaign_id", sa.UUID(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("network", sa.Text(), nullable=False),
        sa.Column("post_id", sa.Text(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("clicks", sa.BigInteger(), nullable=False),
        sa.Column("conversions", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Numeric(20, 4), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "campaign_id",
            "day",
            "network",
            "post_id",
            "currency",
            name=op.f("pk_conversion_day"),
        ),
        schema="analytics",
    )
    op.create_index(
        "ix_conversion_day_tenant_id_day",
        "conversion_day",
        ["tenant_id", "day"],
        unique=False,
        schema="analytics",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_index(
        "ix_conversion_day_tenant_id_day", table_name="conversion_day", schema="analytics"
    )
    op.drop_table("conversion_day", schema="analytics")
    op.drop_index(
        "ix_conversion_unattributed",
        table_name="conversion",
        schema="analytics",
        postgresql_where=sa.text("campaign_id IS NULL"),
    )
    op.drop_table("conversion", schema="analytics")
    op.drop_index(
        "ix_campaign_publication_tenant_id_campaign_id",
        table_name="campaign_publication",
        schema="analytics",
    )
    op.drop_table("campaign_publication", schema="analytics")
    op.drop_table("utm_claim", schema="analytics")
    op.drop_index(
        "ix_campaign_tenant_id_created_at_campaign_id", table_name="campaign", schema="analytics"
    )
    op.drop_table("campaign", schema="analytics")
