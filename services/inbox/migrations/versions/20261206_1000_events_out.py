"""events out: the organization's webhook endpoints and deliveries, and the live stream's log

Revision ID: 4d9e7b2a6c15
Revises: 3f8b6d2c4a71
Create Date: 2026-12-06 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "4d9e7b2a6c15"
down_revision: str | None = "3f8b6d2c4a71"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "webhook_endpoint",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "event_types",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "brand_ids",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("secret_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoint")),
        schema="inbox",
    )
    op.create_index(
        "ix_webhook_endpoint_tenant_id_created_at_id",
        "webhook_endpoint",
        ["tenant_id", "created_at", "id"],
        unique=False,
        schema="inbox",
    )
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("endpoint_id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'delivering', 'delivered', 'failed')",
            name=op.f("ck_webhook_delivery_status"),
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["inbox.webhook_endpoint.id"],
            name=op.f("fk_webhook_delivery_endpoint_id_webhook_endpoint"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_delivery")),
        schema="inbox",
    )
    op.create_index(
        "ix_webhook_delivery_endpoint_id_created_at_id",
        "webhook_delivery",
        ["endpoint_id", "created_at", "id"],
        unique=False,
        schema="inbox",
    )
    op.create_index(
        "ix_webhook_delivery_next_attempt_at_pending",
        "webhook_delivery",
        ["next_attempt_at"],
        unique=False,
        schema="inbox",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_webhook_delivery_lease_until_delivering",
        "webhook_delivery",
        ["lease_until"],
        unique=False,
        schema="inbox",
        postgresql_where=sa.text("status = 'delivering'"),
    )
    op.create_table(
        "webhook_attempt",
        sa.Column("delivery_id", sa.UUID(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("response_excerpt", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('delivered', 'retry', 'failed', 'disabled')",
            name=op.f("ck_webhook_attempt_outcome"),
        ),
        sa.CheckConstraint(
            "octet_length(response_excerpt) <= 1024",
            name=op.f("ck_webhook_attempt_response_excerpt_size"),
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["inbox.webhook_delivery.id"],
            name=op.f("fk_webhook_attempt_delivery_id_webhook_delivery"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("delivery_id", "attempt", name=op.f("pk_webhook_attempt")),
        schema="inbox",
    )
    op.create_table(
        "stream_event",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=True),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stream_event")),
        schema="inbox",
    )
    op.create_index(
        "ix_stream_event_tenant_id", "stream_event", ["tenant_id", "id"], schema="inbox"
    )
    op.create_table(
        "stream_trim",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("trimmed_through", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_stream_trim")),
        schema="inbox",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_table("stream_trim", schema="inbox")
    op.drop_index("ix_stream_event_tenant_id", table_name="stream_event", schema="inbox")
    op.drop_table("stream_event", schema="inbox")
    op.drop_table("webhook_attempt", schema="inbox")
    op.drop_index(
        "ix_webhook_delivery_lease_until_delivering",
        table_name="webhook_delivery",
        schema="inbox",
        postgresql_where=sa.text("status = 'delivering'"),
    )
    op.drop_index(
        "ix_webhook_delivery_next_attempt_at_pending",
        table_name="webhook_delivery",
        schema="inbox",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index(
        "ix_webhook_delivery_endpoint_id_created_at_id",
        table_name="webhook_delivery",
        schema="inbox",
    )
    op.drop_table("webhook_delivery", schema="inbox")
    op.drop_index(
        "ix_webhook_endpoint_tenant_id_created_at_id",
        table_name="webhook_endpoint",
        schema="inbox",
    )
    op.drop_table("webhook_endpoint", schema="inbox")
