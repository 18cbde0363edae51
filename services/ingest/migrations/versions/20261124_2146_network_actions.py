"""network actions

Revision ID: 0fed530a3122
Revises: 5d1c0e7a9b21
Create Date: 2026-11-24 21:46:37.449775
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0fed530a3122"
down_revision: str | None = "5d1c0e7a9b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "network_action",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=True),
        sa.Column("account_id", sa.Text(), nullable=True),
        sa.Column("decision_id", sa.UUID(), nullable=True),
        sa.Column("interaction_id", sa.UUID(), nullable=False),
        sa.Column("network", sa.Text(), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=False),
        sa.Column("thread_external_id", sa.Text(), nullable=True),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("reply_text", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("comment_created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_event_id", sa.UUID(), nullable=False),
        sa.Column("correlation_id", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease", sa.UUID(), nullable=True),
        sa.Column("attempt_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("uncertain_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reply_external_id", sa.Text(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
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
            "action IN ('hide', 'delete', 'reply')", name=op.f("ck_network_action_action")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'succeeded', 'failed', 'unsupported')",
            name=op.f("ck_network_action_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_action")),
        schema="ingest",
    )
    op.create_index(
        "ix_network_action_due",
        "network_action",
        ["next_attempt_at"],
        unique=False,
        schema="ingest",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_network_action_tenant_id_interaction_id",
        "network_action",
        ["tenant_id", "interaction_id"],
        unique=False,
        schema="ingest",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_index(
        "ix_network_action_tenant_id_interaction_id", table_name="network_action", schema="ingest"
    )
    op.drop_index(
        "ix_network_action_due",
        table_name="network_action",
        schema="ingest",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_table("network_action", schema="ingest")
