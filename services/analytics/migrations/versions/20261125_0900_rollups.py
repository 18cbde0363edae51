"""rollups

Revision ID: a6c0f1e2d3b4
Revises: 3de361d9498d
Create Date: 2026-11-25 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a6c0f1e2d3b4"
down_revision: str | None = "3de361d9498d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "rollup",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=False),
        sa.Column("grain", sa.Text(), nullable=False),
        sa.Column("dimension", sa.Text(), nullable=False),
        sa.Column("bucket_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dimension_key", sa.Text(), nullable=False),
        sa.Column("metric", sa.Text(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "brand_id",
            "grain",
            "dimension",
            "bucket_start",
            "dimension_key",
            "metric",
            name=op.f("pk_rollup"),
        ),
        schema="analytics",
        postgresql_with={"fillfactor": 90},
    )
    # Grains and dimensions are far from independent (authors have day rows only, minutes are
    # brand totals only): without these statistics the planner takes a brand's few day rows for
    # a large share of the table and scans it instead of reading the primary-key range.
    op.execute(
        "CREATE STATISTICS analytics.rollup_grain_dimension (mcv) ON grain, dimension "
        "FROM analytics.rollup"
    )
    op.create_table(
        "brand",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=False),
        sa.Column("timezone", sa.Text(), nullable=True),
        sa.Column("configured_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "brand_id", name=op.f("pk_brand")),
        schema="analytics",
    )
    op.create_table(
        "published_post",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("network", sa.Text(), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=False),
        sa.Column("post_id", sa.UUID(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=False),
        sa.Column("campaign_id", sa.Text(), nullable=True),
        sa.Column("account_key", sa.Text(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "network", "external_id", name=op.f("pk_published_post")
        ),
        schema="analytics",
    )
    op.create_index(
        "ix_published_post_tenant_id_post_id",
        "published_post",
        ["tenant_id", "post_id"],
        unique=False,
        schema="analytics",
    )
    op.create_index(
        "ix_published_post_recorded_at",
        "published_post",
        ["recorded_at"],
        unique=False,
        schema="analytics",
    )
    op.create_table(
        "pending_post_rollup",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("network", sa.Text(), nullable=False),
        sa.Column("thread_external_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=False),
        sa.Column("bucket_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("metric", sa.Text(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "network",
            "thread_external_id",
            "brand_id",
            "bucket_start",
            "metric",
            name=op.f("pk_pending_post_rollup"),
        ),
        schema="analytics",
    )
    op.create_index(
        "ix_pending_post_rollup_bucket_start",
        "pending_post_rollup",
        ["bucket_start"],
        unique=False,
        schema="analytics",
    )
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
    op.create_table(
        "post_observation",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("network", sa.Text(), nullable=False),
        sa.Column("post_external_id", sa.Text(), nullable=False),
        sa.Column("impressions", sa.BigInteger(), nullable=True),
        sa.Column("reach", sa.BigInteger(), nullable=True),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "network", "post_external_id", name=op.f("pk_post_observation")
        ),
        schema="analytics",
    )
    # The minute counters are replaced by the rollups (their history is not carried over).
    op.drop_index(
        "ix_counter_tenant_id_metric_bucket_start", table_name="counter", schema="analytics"
    )
    op.drop_table("counter", schema="analytics")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "counter",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=False),
        sa.Column("metric", sa.Text(), nullable=False),
        sa.Column("bucket_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "brand_id", "metric", "bucket_start", name=op.f("pk_counter")
        ),
        schema="analytics",
    )
    op.create_index(
        "ix_counter_tenant_id_metric_bucket_start",
        "counter",
        ["tenant_id", "metric", "bucket_start"],
        unique=False,
        schema="analytics",
    )
    op.drop_table("post_observation", schema="analytics")
    op.drop_index(
        "ix_comment_attribution_updated_at",
        table_name="comment_attribution",
        schema="analytics",
    )
    op.drop_table("comment_attribution", schema="analytics")
    op.drop_index(
        "ix_pending_post_rollup_bucket_start",
        table_name="pending_post_rollup",
        schema="analytics",
    )
    op.drop_table("pending_post_rollup", schema="analytics")
    op.drop_index("ix_published_post_recorded_at", table_name="published_post", schema="analytics")
    op.drop_index(
        "ix_published_post_tenant_id_post_id", table_name="published_post", schema="analytics"
    )
    op.drop_table("published_post", schema="analytics")
    op.drop_table("brand", schema="analytics")
    op.execute("DROP STATISTICS analytics.rollup_grain_dimension")
    op.drop_table("rollup", schema="analytics")
