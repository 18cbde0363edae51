"""publishing accounts, brand settings, post workflow, variants and reviews

Revision ID: 9c5e13f4a6d7
Revises: 8b4d02e3f5c6
Create Date: 2026-11-25 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "9c5e13f4a6d7"
down_revision: str | None = "8b4d02e3f5c6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POST_STATUSES = (
    "draft",
    "in_review",
    "approved",
    "scheduled",
    "publishing",
    "published",
    "partially_published",
    "failed",
    "cancelled",
)
TARGET_STATUSES = (
    "draft",
    "in_review",
    "approved",
    "scheduled",
    "publishing",
    "published",
    "failed",
    "unconfirmed",
    "cancelled",
)


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "account",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=True),
        sa.Column("network", sa.Text(), nullable=False),
        sa.Column("external_account_id", sa.Text(), nullable=False),
        sa.Column("handle", sa.Text(), nullable=True),
        sa.Column("display_name", sa.Text(), nullable=True),
        sa.Column("instance_url", sa.Text(), nullable=True),
        sa.Column("max_characters", sa.Integer(), nullable=True),
        sa.Column("status", sa.Text(), server_default=sa.text("'active'"), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("credentials_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "status IN ('active', 'paused', 'needs_reauth')", name=op.f("ck_account_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint(
            "tenant_id",
            "network",
            "external_account_id",
            name=op.f("uq_account_tenant_id_network_external_account_id"),
        ),
        schema="publisher",
    )
    op.create_index(
        "ix_account_tenant_id_created_at_id",
        "account",
        ["tenant_id", "created_at", "id"],
        unique=False,
        schema="publisher",
    )
    op.create_table(
        "account_slot",
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("local_time", sa.Time(), nullable=False),
        sa.CheckConstraint("weekday BETWEEN 1 AND 7", name=op.f("ck_account_slot_weekday")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["publisher.account.id"],
            name=op.f("fk_account_slot_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "account_id", "weekday", "local_time", name=op.f("pk_account_slot")
        ),
        schema="publisher",
    )
    op.create_table(
        "brand_settings",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=False),
        sa.Column("timezone", sa.Text(), server_default=sa.text("'UTC'"), nullable=False),
        sa.Column(
            "approval_required", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("tenant_id", "brand_id", name=op.f("pk_brand_settings")),
        schema="publisher",
    )

    op.add_column(
        "post",
        sa.Column(
            "media",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        schema="publisher",
    )
    op.add_column("post", sa.Column("first_comment", sa.Text(), nullable=True), schema="publisher")
    op.add_column(
        "post",
        sa.Column(
            "variants",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        schema="publisher",
    )
    op.add_column("post", sa.Column("timezone", sa.Text(), nullable=True), schema="publisher")
    op.add_column(
        "post",
        sa.Column("local_scheduled_at", sa.DateTime(timezone=False), nullable=True),
        schema="publisher",
    )
    op.add_column("post", sa.Column("recurrence", sa.Text(), nullable=True), schema="publisher")
    op.add_column("post", sa.Column("series_id", sa.UUID(), nullable=True), schema="publisher")
    op.add_column(
        "post",
        sa.Column("occurrence", sa.Integer(), server_default=sa.text("0"), nullable=False),
        schema="publisher",
    )
    op.create_unique_constraint(
        op.f("uq_post_series_id_occurrence"),
        "post",
        ["series_id", "occurrence"],
        schema="publisher",
    )
    op.alter_column("post", "scheduled_at", nullable=True, schema="publisher")
    op.drop_constraint(op.f("ck_post_status"), "post", schema="publisher", type_="check")
    op.create_check_constraint(
        op.f("ck_post_status"), "post", _one_of("status", POST_STATUSES), schema="publisher"
    )

    for name in ("failure_kind", "first_comment_id", "first_comment_error"):
        op.add_column("post_target", sa.Column(name, sa.Text(), nullable=True), schema="publisher")
    op.add_column(
        "post_target",
        sa.Column("unconfirmed_at", sa.DateTime(timezone=True), nullable=True),
        schema="publisher",
    )
    op.drop_constraint(
        op.f("ck_post_target_status"), "post_target", schema="publisher", type_="check"
    )
    op.create_check_constraint(
        op.f("ck_post_target_status"),
        "post_target",
        _one_of("status", TARGET_STATUSES),
        schema="publisher",
    )
    op.create_index(
        "ix_post_target_due_at_unconfirmed",
        "post_target",
        ["due_at"],
        unique=False,
        schema="publisher",
        postgresql_where=sa.text("status = 'unconfirmed'"),
    )
    op.create_index(
        "ix_post_target_account_id_due_at",
        "post_target",
        ["account_id", "due_at"],
        unique=False,
        schema="publisher",
    )

    op.create_table(
        "post_review",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("post_id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("reviewer", sa.Text(), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "decision IN ('submitted', 'approved', 'changes_requested', 'comment')",
            name=op.f("ck_post_review_decision"),
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["publisher.post.id"],
            name=op.f("fk_post_review_post_id_post"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_review")),
        schema="publisher",
    )
    op.create_index(
        "ix_post_review_post_id_created_at",
        "post_review",
        ["post_id", "created_at"],
        unique=False,
        schema="publisher",
    )


def downgrade() -> None:
    op.drop_index("ix_post_review_post_id_created_at", table_name="post_review", schema="publisher")
    op.drop_table("post_review", schema="publisher")
    op.drop_index("ix_post_target_account_id_due_at", table_name="post_target", schema="publisher")
    op.drop_index(
        "ix_post_target_due_at_unconfirmed",
        table_name="post_target",
        schema="publisher",
        postgresql_where=sa.text("status = 'unconfirmed'"),
    )
    # Rows in the new states have no equivalent before this revision.
    op.execute(
        "DELETE FROM publisher.post_target WHERE status IN "
        "('draft', 'in_review', 'approved', 'unconfirmed')"
    )
    op.execute(
        "DELETE FROM publisher.post WHERE status IN ('draft', 'in_review', 'approved') "
        "OR scheduled_at IS NULL"
    )
    op.drop_constraint(
        op.f("ck_post_target_status"), "post_target", schema="publisher", type_="check"
    )
    op.create_check_constraint(
        op.f("ck_post_target_status"),
        "post_target",
        "status IN ('scheduled', 'publishing', 'published', 'failed', 'cancelled')",
        schema="publisher",
    )
    for name in ("unconfirmed_at", "first_comment_error", "first_comment_id", "failure_kind"):
        op.drop_column("post_target", name, schema="publisher")
    op.drop_constraint(op.f("ck_post_status"), "post", schema="publisher", type_="check")
    op.create_check_constraint(
        op.f("ck_post_status"),
        "post",
        "status IN ('scheduled', 'publishing', 'published', 'partially_published', 'failed', "
        "'cancelled')",
        schema="publisher",
    )
    op.alter_column("post", "scheduled_at", nullable=False, schema="publisher")
    op.drop_constraint(
        op.f("uq_post_series_id_occurrence"), "post", schema="publisher", type_="unique"
    )
    for name in (
        "occurrence",
        "series_id",
        "recurrence",
        "local_scheduled_at",
        "timezone",
        "variants",
        "first_comment",
        "media",
    ):
        op.drop_column("post", name, schema="publisher")
    op.drop_table("brand_settings", schema="publisher")
    op.drop_table("account_slot", schema="publisher")
    op.drop_index("ix_account_tenant_id_created_at_id", table_name="account", schema="publisher")
    op.drop_table("account", schema="publisher")
