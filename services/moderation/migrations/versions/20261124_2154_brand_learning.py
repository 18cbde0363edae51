"""brand learning: brand_label (moderators' and imported labels) and brand_model (per-brand models)

Revision ID: 9c06e276f405
Revises: 2539211b262d
Create Date: 2026-11-24 21:54:52.265110
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "9c06e276f405"
down_revision: str | None = "2539211b262d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "brand_label",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("interaction_id", sa.UUID(), nullable=True),
        sa.Column("text_digest", sa.LargeBinary(), nullable=True),
        sa.Column("labelled_by", sa.Text(), nullable=False),
        sa.Column("labelled_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("label IN ('remove', 'keep')", name=op.f("ck_brand_label_label")),
        sa.CheckConstraint("source IN ('review', 'import')", name=op.f("ck_brand_label_source")),
        sa.CheckConstraint(
            "(interaction_id IS NULL) = (text_digest IS NOT NULL)",
            name=op.f("ck_brand_label_one_key"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brand_label")),
        sa.UniqueConstraint(
            "tenant_id",
            "brand_id",
            "text_digest",
            name=op.f("uq_brand_label_tenant_id_brand_id_text_digest"),
        ),
        sa.UniqueConstraint(
            "tenant_id", "interaction_id", name=op.f("uq_brand_label_tenant_id_interaction_id")
        ),
        schema="moderation",
    )
    op.create_index(
        "ix_brand_label_tenant_id_brand_id_labelled_at",
        "brand_label",
        ["tenant_id", "brand_id", "labelled_at"],
        unique=False,
        schema="moderation",
    )
    op.create_table(
        "brand_model",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("features", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("base_model_version", sa.Text(), nullable=False),
        sa.Column("coef_index", sa.LargeBinary(), nullable=False),
        sa.Column("coef_value", sa.LargeBinary(), nullable=False),
        sa.Column("intercept", sa.Double(), nullable=False),
        sa.Column("threshold", sa.Double(), nullable=False),
        sa.Column("labels_remove", sa.Integer(), nullable=False),
        sa.Column("labels_keep", sa.Integer(), nullable=False),
        sa.Column("labels_seen", sa.Integer(), nullable=False),
        sa.Column("labels_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("metrics", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brand_model")),
        sa.UniqueConstraint(
            "tenant_id",
            "brand_id",
            "version",
            name=op.f("uq_brand_model_tenant_id_brand_id_version"),
        ),
        schema="moderation",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_table("brand_model", schema="moderation")
    op.drop_index(
        "ix_brand_label_tenant_id_brand_id_labelled_at",
        table_name="brand_label",
        schema="moderation",
    )
    op.drop_table("brand_label", schema="moderation")
