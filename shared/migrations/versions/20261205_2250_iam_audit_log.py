"""iam: the audit log of every state-changing API call

Revision ID: 3e7b2c9d5a61
Revises: 9d41b7c2e6f8
Create Date: 2026-12-05 22:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "3e7b2c9d5a61"
down_revision: str | None = "9d41b7c2e6f8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "audit_log",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False, comment="`user:<id>` or `key:<id>`"),
        sa.Column(
            "credential", sa.Text(), nullable=False, comment="sign_in, personal_token or api_key"
        ),
        sa.Column("service", sa.Text(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column(
            "route",
            sa.Text(),
            nullable=False,
            comment="The route's template, e.g. /v1/posts/{post_id}",
        ),
        sa.Column(
            "resource",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="The route's path parameters.",
        ),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("client_address", sa.Text(), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        schema="iam",
    )
    op.create_index(
        "ix_audit_log_tenant_id_at",
        "audit_log",
        ["tenant_id", sa.text("at DESC"), sa.text("id DESC")],
        unique=False,
        schema="iam",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_index("ix_audit_log_tenant_id_at", table_name="audit_log", schema="iam")
    op.drop_table("audit_log", schema="iam")
