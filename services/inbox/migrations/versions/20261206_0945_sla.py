"""sla: per-brand policies, the conversations' clocks and due times, breaches, and the outbox

Revision ID: 7e4a2c9d1b35
Revises: 5b7d1e3a9c42
Create Date: 2026-12-06 09:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "7e4a2c9d1b35"
down_revision: str | None = "5b7d1e3a9c42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AT = sa.DateTime(timezone=True)
CLOCKS = (
    "response_started_at",
    "response_due_at",
    "first_response_at",
    "resolution_started_at",
    "resolution_due_at",
    "sla_due_at",
    "sla_alarm_at",
)


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    # Nullable columns without a default: no rewrite of the table.
    op.add_column("conversation", sa.Column("response_target", sa.Text()), schema="inbox")
    for name in CLOCKS:
        op.add_column("conversation", sa.Column(name, AT), schema="inbox")
    op.create_index(
        "ix_conversation_overdue",
        "conversation",
        ["tenant_id", "last_message_at", "id"],
        schema="inbox",
        postgresql_include=["sla_due_at", "status"],
        postgresql_where=sa.text("sla_due_at IS NOT NULL"),
    )
    op.create_index(
        "ix_conversation_sla_due",
        "conversation",
        ["tenant_id", "sla_due_at"],
        schema="inbox",
        postgresql_include=["status", "brand_id"],
        postgresql_where=sa.text("sla_due_at IS NOT NULL"),
    )
    op.create_index(
        "ix_conversation_sla_alarm",
        "conversation",
        ["sla_alarm_at"],
        schema="inbox",
        postgresql_where=sa.text("sla_alarm_at IS NOT NULL"),
    )
    # An answer filed by clearing `waiting_since` alone (not through the SLA's own
    # `record_response`, which stops the clock in the same statement) leaves the response clock
    # running: the breach pass is asked to look at once, and records the answer it finds.
    op.execute(
        """
        CREATE FUNCTION inbox.sla_wait_ended() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.waiting_since IS DISTINCT FROM OLD.waiting_since
                AND NEW.response_started_at IS NOT NULL
                AND (NEW.waiting_since IS NULL OR NEW.waiting_since > NEW.response_started_at)
            THEN
                NEW.sla_alarm_at := 'epoch';
            END IF;
            RETURN NEW;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER sla_wait_ended BEFORE UPDATE OF waiting_since ON inbox.conversation "
        "FOR EACH ROW EXECUTE FUNCTION inbox.sla_wait_ended()"
    )
    op.create_table(
        "sla_policy",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=False),
        sa.Column("first_response_seconds", sa.Integer()),
        sa.Column("next_response_seconds", sa.Integer()),
        sa.Column("resolution_seconds", sa.Integer()),
        sa.Column("timezone", sa.Text(), nullable=False),
        sa.Column("business_hours", postgresql.JSONB(astext_type=sa.Text())),
        sa.Column(
            "holidays", postgresql.ARRAY(sa.Date()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.Column("created_at", AT, nullable=False),
        sa.Column("updated_at", AT, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "brand_id", name=op.f("pk_sla_policy")),
        schema="inbox",
    )
    op.create_table(
        "sla_breach",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("started_at", AT, nullable=False),
        sa.Column("due_at", AT, nullable=False),
        sa.Column("found_at", AT, nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["inbox.conversation.id"],
            name=op.f("fk_sla_breach_conversation_id_conversation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_breach")),
        sa.UniqueConstraint(
            "conversation_id",
            "target",
            "started_at",
            name=op.f("uq_sla_breach_conversation_id_target_started_at"),
        ),
        schema="inbox",
    )
    op.create_index(
        "ix_sla_breach_tenant_id", "sla_breach", ["tenant_id", "found_at"], schema="inbox"
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("headers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", AT, server_default=sa.text("now()"), nullable=False),
        sa.Column("relayed_at", AT, nullable=True),
        sa.Column("relayed_partition", sa.Integer(), nullable=True),
        sa.Column("relayed_offset", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        schema="inbox",
    )
    op.create_index(
        "ix_outbox_unsent",
        "outbox",
        ["id"],
        schema="inbox",
        postgresql_where=sa.text("relayed_at IS NULL"),
    )
    op.create_index(
        "ix_outbox_relayed_at",
        "outbox",
        ["relayed_at"],
        schema="inbox",
        postgresql_where=sa.text("relayed_at IS NOT NULL"),
    )
    op.create_table(
        "outbox_position",
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Text(), nullable=False),
        sa.Column("acked_offset", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", AT, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("topic", "partition", name=op.f("pk_outbox_position")),
        schema="inbox",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_table("outbox_position", schema="inbox")
    op.drop_index("ix_outbox_relayed_at", table_name="outbox", schema="inbox")
    op.drop_index("ix_outbox_unsent", table_name="outbox", schema="inbox")
    op.drop_table("outbox", schema="inbox")
    op.drop_index("ix_sla_breach_tenant_id", table_name="sla_breach", schema="inbox")
    op.drop_table("sla_breach", schema="inbox")
    op.drop_table("sla_policy", schema="inbox")
    op.execute("DROP TRIGGER sla_wait_ended ON inbox.conversation")
    op.execute("DROP FUNCTION inbox.sla_wait_ended()")
    for index in (
        "ix_conversation_sla_alarm",
        "ix_conversation_sla_due",
        "ix_conversation_overdue",
    ):
        op.drop_index(index, table_name="conversation", schema="inbox")
    for name in (*CLOCKS, "response_target"):
        op.drop_column("conversation", name, schema="inbox")
