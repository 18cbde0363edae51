"""iam: users signed in through the OpenID Connect issuer, and their memberships

Revision ID: 63e5d1a49ba0
Revises: a931bf4a8193
Create Date: 2026-12-05 19:40:13.718754
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "63e5d1a49ba0"
down_revision: str | None = "a931bf4a8193"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "user",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("issuer", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user")),
        sa.UniqueConstraint("issuer", "subject", name=op.f("uq_user_issuer_subject")),
        schema="iam",
    )
    op.create_table(
        "membership",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["iam.tenant.id"],
            name=op.f("fk_membership_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["iam.user.id"],
            name=op.f("fk_membership_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "user_id", name=op.f("pk_membership")),
        sa.CheckConstraint(
            "role IN ('owner', 'admin', 'manager', 'agent', 'editor', 'approver', 'analyst')",
            name=op.f("ck_membership_role_known"),
        ),
        schema="iam",
    )
    op.create_index("ix_membership_user_id", "membership", ["user_id"], unique=False, schema="iam")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_index("ix_membership_user_id", table_name="membership", schema="iam")
    op.drop_table("membership", schema="iam")
    op.drop_table("user", schema="iam")
