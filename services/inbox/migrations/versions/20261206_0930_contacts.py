"""contacts: one profile per author per brand, their identities on the networks and notes

Revision ID: 5b7d1e3a9c42
Revises: 9c4e2a7b5d18
Create Date: 2026-12-06 09:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5b7d1e3a9c42"
down_revision: str | None = "9c4e2a7b5d18"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = postgresql.UUID(as_uuid=True)
AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "contact",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", sa.Text, nullable=False),
        sa.Column("brand_id", sa.Text),
        sa.Column("handle", sa.Text),
        sa.Column("display_name", sa.Text),
        sa.Column("labels", postgresql.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("message_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("first_contact_at", AT, nullable=False),
        sa.Column("last_contact_at", AT, nullable=False),
        sa.Column("merged_into", UUID),
        sa.Column("created_at", AT, nullable=False),
        sa.Column("updated_at", AT, nullable=False),
        schema="inbox",
    )
    op.create_index(
        "ix_contact_recent",
        "contact",
        ["tenant_id", "brand_id", "last_contact_at", "id"],
        schema="inbox",
        postgresql_where=sa.text("merged_into IS NULL"),
    )
    op.create_index(
        "ix_contact_labels", "contact", ["labels"], schema="inbox", postgresql_using="gin"
    )
    op.create_table(
        "contact_identity",
        sa.Column("tenant_id", sa.Text, nullable=False),
        sa.Column("brand_id", sa.Text),
        sa.Column("network", sa.Text, nullable=False),
        sa.Column("network_id", sa.Text, nullable=False),
        sa.Column(
            "contact_id",
            UUID,
            sa.ForeignKey("inbox.contact.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("handle", sa.Text),
        sa.Column("display_name", sa.Text),
        sa.Column("first_seen_at", AT, nullable=False),
        sa.UniqueConstraint(
            "tenant_id",
            "brand_id",
            "network",
            "network_id",
            name="uq_contact_identity",
            postgresql_nulls_not_distinct=True,
        ),
        schema="inbox",
    )
    op.create_index(
        "ix_contact_identity_contact", "contact_identity", ["contact_id"], schema="inbox"
    )
    op.create_table(
        "contact_note",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", sa.Text, nullable=False),
        sa.Column(
            "contact_id",
            UUID,
            sa.ForeignKey("inbox.contact.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", AT, nullable=False),
        schema="inbox",
    )
    op.create_index(
        "ix_contact_note_contact",
        "contact_note",
        ["contact_id", "created_at", "id"],
        schema="inbox",
    )
    op.add_column("message", sa.Column("contact_id", UUID), schema="inbox")
    op.add_column("conversation", sa.Column("contact_id", UUID), schema="inbox")
    _backfill()
    op.create_index(
        "ix_message_contact",
        "message",
        ["contact_id", "created_at", "id"],
        schema="inbox",
        postgresql_where=sa.text("contact_id IS NOT NULL"),
    )
    op.create_index(
        "ix_conversation_contact",
        "conversation",
        ["tenant_id", "contact_id", "last_message_at", "id"],
        schema="inbox",
        postgresql_where=sa.text("contact_id IS NOT NULL"),
    )


def _backfill() -> None:
    """A contact for each author of the messages filed before contacts existed."""
    op.execute(
        """
        CREATE TEMPORARY TABLE author ON COMMIT DROP AS
        SELECT gen_random_uuid() AS contact_id, a.*
        FROM (
            SELECT m.tenant_id, m.brand_id, c.network, m.author_network_id AS network_id,
                   (array_agg(m.author_handle ORDER BY m.created_at DESC))[1] AS handle,
                   (array_agg(m.author_name ORDER BY m.created_at DESC))[1] AS display_name,
                   count(*) AS messages, min(m.created_at) AS first_at,
                   max(m.created_at) AS last_at
            FROM inbox.message m JOIN inbox.conversation c ON c.id = m.conversation_id
            WHERE m.direction = 'inbound'
            GROUP BY m.tenant_id, m.brand_id, c.network, m.author_network_id
        ) a
        """
    )
    op.execute(
        """
        INSERT INTO inbox.contact (id, tenant_id, brand_id, handle, display_name, message_count,
                                   first_contact_at, last_contact_at, created_at, updated_at)
        SELECT contact_id, tenant_id, brand_id, handle, display_name, messages, first_at,
               last_at, now(), now()
        FROM author
        """
    )
    op.execute(
        """
        INSERT INTO inbox.contact_identity (tenant_id, brand_id, network, network_id, contact_id,
                                            handle, display_name, first_seen_at)
        SELECT tenant_id, brand_id, network, network_id, contact_id, handle, display_name,
               first_at
        FROM author
        """
    )
    op.execute(
        """
        UPDATE inbox.message m SET contact_id = i.contact_id
        FROM inbox.conversation c, inbox.contact_identity i
        WHERE c.id = m.conversation_id AND m.direction = 'inbound'
          AND i.tenant_id = m.tenant_id AND i.brand_id IS NOT DISTINCT FROM m.brand_id
          AND i.network = c.network AND i.network_id = m.author_network_id
        """
    )
    op.execute(
        """
        UPDATE inbox.conversation c SET contact_id = i.contact_id
        FROM inbox.contact_identity i
        WHERE i.tenant_id = c.tenant_id AND i.brand_id IS NOT DISTINCT FROM c.brand_id
          AND i.network = c.network AND i.network_id = c.contact_network_id
        """
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_index("ix_conversation_contact", table_name="conversation", schema="inbox")
    op.drop_index("ix_message_contact", table_name="message", schema="inbox")
    op.drop_column("conversation", "contact_id", schema="inbox")
    op.drop_column("message", "contact_id", schema="inbox")
    op.drop_table("contact_note", schema="inbox")
    op.drop_table("contact_identity", schema="inbox")
    op.drop_table("contact", schema="inbox")
