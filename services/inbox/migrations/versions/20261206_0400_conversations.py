"""conversations, messages, decisions, notes

Revision ID: 6c1f3a9e2b70
Revises:
Create Date: 2026-12-06 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "6c1f3a9e2b70"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_CONFIG = (
    "CASE language WHEN 'en' THEN 'english'::regconfig WHEN 'fr' THEN 'french'::regconfig "
    "ELSE 'simple'::regconfig END"
)


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "inbox",
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("consumer", sa.Text(), nullable=False),
        sa.Column(
            "handled_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("event_id", "consumer", name=op.f("pk_inbox")),
        schema="inbox",
    )
    op.create_table(
        "conversation",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=True),
        sa.Column("network", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("thread_external_id", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default=sa.text("'open'"), nullable=False),
        sa.Column("snoozed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assignee", sa.UUID(), nullable=True),
        sa.Column("assigned_by", sa.Text(), nullable=True),
        sa.Column("priority", sa.Text(), nullable=True),
        sa.Column(
            "labels", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column("contact_network_id", sa.Text(), nullable=False),
        sa.Column("contact_handle", sa.Text(), nullable=True),
        sa.Column("contact_name", sa.Text(), nullable=True),
        sa.Column("preview", sa.Text(), nullable=False),
        sa.Column("message_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("review_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'pending', 'snoozed', 'resolved')",
            name=op.f("ck_conversation_status"),
        ),
        sa.CheckConstraint(
            "priority IS NULL OR priority IN ('low', 'medium', 'high', 'urgent')",
            name=op.f("ck_conversation_priority"),
        ),
        sa.CheckConstraint(
            "(status = 'snoozed') = (snoozed_until IS NOT NULL)",
            name=op.f("ck_conversation_snoozed_until"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation")),
        sa.UniqueConstraint(
            "tenant_id",
            "brand_id",
            "network",
            "kind",
            "thread_external_id",
            name=op.f("uq_conversation_thread"),
            postgresql_nulls_not_distinct=True,
        ),
        schema="inbox",
    )
    op.create_index(
        "ix_conversation_recent",
        "conversation",
        ["tenant_id", "last_message_at", "id"],
        schema="inbox",
    )
    op.create_index(
        "ix_conversation_status",
        "conversation",
        ["tenant_id", "status", "last_message_at", "id"],
        schema="inbox",
    )
    op.create_index(
        "ix_conversation_assignee",
        "conversation",
        ["tenant_id", "assignee", "status", "last_message_at", "id"],
        schema="inbox",
    )
    op.create_index(
        "ix_conversation_brand",
        "conversation",
        ["tenant_id", "brand_id", "status", "last_message_at", "id"],
        schema="inbox",
    )
    op.create_index(
        "ix_conversation_labels",
        "conversation",
        ["labels"],
        schema="inbox",
        postgresql_using="gin",
    )
    op.create_index(
        "ix_conversation_snoozed",
        "conversation",
        ["snoozed_until"],
        schema="inbox",
        postgresql_where=sa.text("status = 'snoozed'"),
    )
    op.create_table(
        "message",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=True),
        sa.Column("interaction_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=False),
        sa.Column("parent_external_id", sa.Text(), nullable=True),
        sa.Column("direction", sa.Text(), server_default=sa.text("'inbound'"), nullable=False),
        sa.Column("author_network_id", sa.Text(), nullable=False),
        sa.Column("author_handle", sa.Text(), nullable=True),
        sa.Column("author_name", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.Text(), nullable=True),
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed(f"to_tsvector({SEARCH_CONFIG}, text)", persisted=True),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["inbox.conversation.id"],
            name=op.f("fk_message_conversation_id_conversation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message")),
        sa.UniqueConstraint(
            "tenant_id", "interaction_id", name=op.f("uq_message_tenant_id_interaction_id")
        ),
        schema="inbox",
    )
    op.create_index(
        "ix_message_thread",
        "message",
        ["conversation_id", "created_at", "id"],
        schema="inbox",
    )
    op.create_index(
        "ix_message_search",
        "message",
        ["search_vector"],
        schema="inbox",
        postgresql_using="gin",
    )
    op.create_table(
        "decision",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("interaction_id", sa.UUID(), nullable=False),
        sa.Column("decision_id", sa.UUID(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("language", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "interaction_id", name=op.f("pk_decision")),
        schema="inbox",
    )
    op.create_table(
        "note",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["inbox.conversation.id"],
            name=op.f("fk_note_conversation_id_conversation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note")),
        schema="inbox",
    )
    op.create_index(
        "ix_note_conversation",
        "note",
        ["conversation_id", "created_at", "id"],
        schema="inbox",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_table("note", schema="inbox")
    op.drop_table("decision", schema="inbox")
    op.drop_table("message", schema="inbox")
    op.drop_table("conversation", schema="inbox")
    op.drop_table("inbox", schema="inbox")
