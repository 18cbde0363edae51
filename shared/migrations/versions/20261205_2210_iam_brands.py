"""iam: the organization's brands, per-brand roles, and API keys limited to brands

Revision ID: 9d41b7c2e6f8
Revises: 7c2f4e1a9b30
Create Date: 2026-12-05 22:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "9d41b7c2e6f8"
down_revision: str | None = "7c2f4e1a9b30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "brand",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["iam.tenant.id"],
            name=op.f("fk_brand_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_brand")),
        schema="iam",
    )
    op.create_table(
        "brand_role",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["iam.membership.tenant_id", "iam.membership.user_id"],
            name=op.f("fk_brand_role_tenant_id_membership"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "brand_id"],
            ["iam.brand.tenant_id", "iam.brand.id"],
            name=op.f("fk_brand_role_tenant_id_brand"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "user_id", "brand_id", name=op.f("pk_brand_role")),
        sa.CheckConstraint(
            "role IN ('manager', 'agent', 'editor', 'approver', 'analyst')",
            name=op.f("ck_brand_role_role_known"),
        ),
        schema="iam",
    )
    # Nullable, no default: adding it rewrites nothing, and every existing key keeps every brand.
    op.add_column(
        "api_key",
        sa.Column("brand_ids", postgresql.ARRAY(sa.Text()), nullable=True),
        schema="iam",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    # A key limited to brands must not outlive its limit as a key to every brand.
    op.execute("UPDATE iam.api_key SET revoked_at = now() WHERE brand_ids IS NOT NULL")
    op.drop_column("api_key", "brand_ids", schema="iam")
    op.drop_table("brand_role", schema="iam")
    op.drop_table("brand", schema="iam")
