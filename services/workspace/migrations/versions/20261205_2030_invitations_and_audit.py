"""invitations and the audit of the workspace's writes

Revision ID: e5a1c0d93f27
Revises: 4b8e0c2d71a5
Create Date: 2026-12-05 20:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "e5a1c0d93f27"
down_revision: str | None = "4b8e0c2d71a5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "invitation",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False, comment="`user:<id>` or `key:<id>`"),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.Text(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "accepted_by",
            sa.UUID(),
            nullable=True,
            comment="The iam user who joined with it.",
        ),
        sa.CheckConstraint(
            "role IN ('owner', 'admin', 'manager', 'agent', 'editor', 'approver', 'analyst')",
            name=op.f("ck_invitation_role_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitation_token_hash")),
        schema="workspace",
    )
    op.create_index(
        "ix_invitation_tenant_id_created_at",
        "invitation",
        ["tenant_id", "created_at", "id"],
        unique=False,
        schema="workspace",
    )
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column(
            "action",
            sa.Text(),
            nullable=False,
            comment="e.g. member.role_changed, api_key.issued",
        ),
        sa.Column(
            "target",
            sa.Text(),
            nullable=False,
            comment="What was changed: `user:<id>`, `key:<id>`…",
        ),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
        schema="workspace",
    )
    op.create_index(
        "ix_audit_entry_tenant_id_recorded_at",
        "audit_entry",
        ["tenant_id", "recorded_at"],
        unique=False,
        schema="workspace",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_index(
        "ix_audit_entry_tenant_id_recorded_at", table_name="audit_entry", schema="workspace"
    )
    op.drop_table("audit_entry", schema="workspace")
    op.drop_index("ix_invitation_tenant_id_created_at", table_name="invitation", schema="workspace")
    op.drop_table("invitation", schema="workspace")
