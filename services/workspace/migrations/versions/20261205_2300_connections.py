"""connected accounts: the registry, pending OAuth states and Mastodon apps

Revision ID: c3f8a6e2d104
Revises: b7d2e4a1c935
Create Date: 2026-12-05 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c3f8a6e2d104"
down_revision: str | None = "b7d2e4a1c935"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = "'facebook_page', 'instagram_business', 'x_user', 'linkedin_member', 'linkedin_organization', 'mastodon', 'bluesky'"


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "connected_account",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=False),
        sa.Column("network", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=False),
        sa.Column("handle", sa.Text(), nullable=True),
        sa.Column("display_name", sa.Text(), nullable=True),
        sa.Column(
            "instance_url",
            sa.Text(),
            nullable=True,
            comment="The Mastodon instance or Bluesky PDS.",
        ),
        sa.Column("status", sa.Text(), server_default=sa.text("'active'"), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column(
            "scopes", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refresh_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("credentials", sa.LargeBinary(), nullable=True),
        sa.Column("connected_by", sa.Text(), nullable=False, comment="`user:<id>` or `key:<id>`"),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disconnected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disconnected_by", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("refresh_claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refresh_failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
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
            "network IN ('facebook', 'instagram', 'x', 'linkedin', 'mastodon', 'bluesky')",
            name=op.f("ck_connected_account_network_known"),
        ),
        sa.CheckConstraint(f"kind IN ({KINDS})", name=op.f("ck_connected_account_kind_known")),
        sa.CheckConstraint(
            "status IN ('active', 'needs_reauth', 'disconnected')",
            name=op.f("ck_connected_account_status_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connected_account")),
        sa.UniqueConstraint(
            "tenant_id",
            "brand_id",
            "network",
            "external_id",
            name=op.f("uq_connected_account_tenant_id_brand_id_network_external_id"),
        ),
        schema="workspace",
    )
    op.create_index(
        "ix_connected_account_tenant_id_created_at",
        "connected_account",
        ["tenant_id", "created_at", "id"],
        unique=False,
        schema="workspace",
    )
    op.create_index(
        "ix_connected_account_refresh_due",
        "connected_account",
        ["access_expires_at"],
        unique=False,
        schema="workspace",
        postgresql_where=sa.text("status = 'active' AND access_expires_at IS NOT NULL"),
    )
    op.create_table(
        "oauth_state",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=False),
        sa.Column("network", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False, comment="`user:<id>` or `key:<id>`"),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("state_hash", sa.Text(), nullable=False),
        sa.Column("secrets", sa.LargeBinary(), nullable=True),
        sa.Column("instance_url", sa.Text(), nullable=True),
        sa.Column("return_url", sa.Text(), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_state")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_oauth_state_state_hash")),
        schema="workspace",
    )
    op.create_index(
        "ix_oauth_state_expires_at", "oauth_state", ["expires_at"], unique=False, schema="workspace"
    )
    op.create_table(
        "mastodon_app",
        sa.Column("instance_url", sa.Text(), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("client_id", sa.Text(), nullable=False),
        sa.Column("client_secret", sa.LargeBinary(), nullable=False),
        sa.Column("pkce", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("instance_url", "redirect_uri", name=op.f("pk_mastodon_app")),
        schema="workspace",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_table("mastodon_app", schema="workspace")
    op.drop_index("ix_oauth_state_expires_at", table_name="oauth_state", schema="workspace")
    op.drop_table("oauth_state", schema="workspace")
    op.drop_index(
        "ix_connected_account_refresh_due", table_name="connected_account", schema="workspace"
    )
    op.drop_index(
        "ix_connected_account_tenant_id_created_at",
        table_name="connected_account",
        schema="workspace",
    )
    op.drop_table("connected_account", schema="workspace")
