"""replies: the brand's own messages in their threads (outbound, sent through Beacon or natively,
with their delivery), each brand's messaging setting and the reply route's Idempotency-Keys

Revision ID: 3f8b6d2c4a71
Revises: 7e4a2c9d1b35
Create Date: 2026-12-06 09:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "3f8b6d2c4a71"
down_revision: str | None = "7e4a2c9d1b35"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "inbox"
AT = sa.DateTime(timezone=True)
MESSAGE_COLUMNS = ("sent_via", "sent_by", "delivery", "delivery_error")


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    for column in MESSAGE_COLUMNS:
        op.add_column("message", sa.Column(column, sa.Text(), nullable=True), schema=SCHEMA)
    for column in ("interaction_id", "external_id", "author_network_id"):
        op.alter_column("message", column, nullable=True, schema=SCHEMA)
    op.create_check_constraint(
        op.f("ck_message_direction"),
        "message",
        "direction IN ('inbound', 'outbound')",
        schema=SCHEMA,
    )
    op.create_check_constraint(
        op.f("ck_message_delivery"),
        "message",
        "delivery IS NULL OR delivery IN ('pending', 'sent', 'failed')",
        schema=SCHEMA,
    )
    op.create_index(
        "uq_message_outbound_external_id",
        "message",
        ["conversation_id", "external_id"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("direction = 'outbound' AND external_id IS NOT NULL"),
    )
    op.create_index(
        "ix_message_external_id", "message", ["tenant_id", "external_id"], schema=SCHEMA
    )
    op.create_table(
        "messaging_setting",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=False),
        sa.Column("human_agent", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.Column("updated_at", AT, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "brand_id", name=op.f("pk_messaging_setting")),
        schema=SCHEMA,
    )
    op.create_table(
        "idempotency_key",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("response", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", AT, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "key", name=op.f("pk_idempotency_key")),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_idempotency_key_created_at", "idempotency_key", ["created_at"], schema=SCHEMA
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_index("ix_idempotency_key_created_at", table_name="idempotency_key", schema=SCHEMA)
    op.drop_table("idempotency_key", schema=SCHEMA)
    op.drop_table("messaging_setting", schema=SCHEMA)
    op.drop_index("ix_message_external_id", table_name="message", schema=SCHEMA)
    op.drop_index("uq_message_outbound_external_id", table_name="message", schema=SCHEMA)
    op.drop_constraint(op.f("ck_message_delivery"), "message", schema=SCHEMA)
    op.drop_constraint(op.f("ck_message_direction"), "message", schema=SCHEMA)
    # The brand's own messages have no interaction: they go with the columns that tell them.
    op.execute("DELETE FROM inbox.message WHERE direction = 'outbound'")
    for column in ("interaction_id", "external_id", "author_network_id"):
        op.alter_column("message", column, nullable=False, schema=SCHEMA)
    for column in reversed(MESSAGE_COLUMNS):
        op.drop_column("message", column, schema=SCHEMA)
