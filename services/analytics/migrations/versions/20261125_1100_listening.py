"""listening: observed posts, account engagement per day, hourly term counts

Revision ID: d9f3a4b5c6e7
Revises: c8e2f3a4b5d6
Create Date: 2026-11-25 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d9f3a4b5c6e7"
down_revision: str | None = "c8e2f3a4b5d6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "observed_post",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("network", sa.Text(), nullable=False),
        sa.Column("post_external_id", sa.Text(), nullable=False),
        sa.Column("account_external_id", sa.Text(), nullable=False),
        sa.Column("competitor_id", sa.Text(), nullable=True),
        sa.Column("post_created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("likes", sa.BigInteger(), nullable=False),
        sa.Column("comments", sa.BigInteger(), nullable=False),
        sa.Column("shares", sa.BigInteger(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "brand_id",
            "owner",
            "network",
            "post_external_id",
            name=op.f("pk_observed_post"),
        ),
        schema="analytics",
    )
    op.create_index(
        "ix_observed_post_account_post_created_at",
        "observed_post",
        ["tenant_id", "network", "account_external_id", "post_created_at"],
        unique=False,
        schema="analytics",
    )
    op.create_table(
        "account_engagement_day",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("network", sa.Text(), nullable=False),
        sa.Column("account_external_id", sa.Text(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("competitor_id", sa.Text(), nullable=True),
        sa.Column("account_handle", sa.Text(), nullable=True),
        sa.Column("posts", sa.BigInteger(), nullable=False),
        sa.Column("likes", sa.BigInteger(), nullable=False),
        sa.Column("comments", sa.BigInteger(), nullable=False),
        sa.Column("shares", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "brand_id",
            "owner",
            "network",
            "account_external_id",
            "day",
            name=op.f("pk_account_engagement_day"),
        ),
        schema="analytics",
    )
    op.create_table(
        "term_hour",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=False),
        sa.Column("term", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("hour_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "brand_id",
            "term",
            "source",
            "hour_start",
            name=op.f("pk_term_hour"),
        ),
        schema="analytics",
    )
    op.create_index(
        "ix_term_hour_tenant_id_brand_id_hour_start",
        "term_hour",
        ["tenant_id", "brand_id", "hour_start"],
        unique=False,
        schema="analytics",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_index(
        "ix_term_hour_tenant_id_brand_id_hour_start", table_name="term_hour", schema="analytics"
    )
    op.drop_table("term_hour", schema="analytics")
    op.drop_table("account_engagement_day", schema="analytics")
    op.drop_index(
        "ix_observed_post_account_post_created_at",
        table_name="observed_post",
        schema="analytics",
    )
    op.drop_table("observed_post", schema="analytics")
