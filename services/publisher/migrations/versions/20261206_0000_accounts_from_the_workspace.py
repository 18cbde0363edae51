"""accounts from the workspace: where an account came from, the workspace's version of it, the
disconnected status, and warnings on targets whose account stopped

Revision ID: 6d1f0b8e3c25
Revises: 5c0e9a7d2b14
Create Date: 2026-12-06 00:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6d1f0b8e3c25"
down_revision: str | None = "5c0e9a7d2b14"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.add_column(
        "account",
        sa.Column("source", sa.Text(), server_default=sa.text("'publisher'"), nullable=False),
        schema="publisher",
    )
    op.add_column(
        "account",
        sa.Column("workspace_version", sa.BigInteger(), nullable=True),
        schema="publisher",
    )
    op.create_check_constraint(
        op.f("ck_account_source"),
        "account",
        "source IN ('workspace', 'publisher')",
        schema="publisher",
    )
    op.drop_constraint(op.f("ck_account_status"), "account", schema="publisher", type_="check")
    op.create_check_constraint(
        op.f("ck_account_status"),
        "account",
        "status IN ('active', 'paused', 'needs_reauth', 'disconnected')",
        schema="publisher",
    )
    # The workspace connects one network account to several brands (one row each): only the
    # publisher's own accounts stay unique per tenant.
    op.drop_constraint(
        op.f("uq_account_tenant_id_network_external_account_id"),
        "account",
        schema="publisher",
        type_="unique",
    )
    op.create_index(
        "uq_account_tenant_id_network_external_account_id",
        "account",
        ["tenant_id", "network", "external_account_id"],
        unique=True,
        schema="publisher",
        postgresql_where=sa.text("source = 'publisher'"),
    )
    op.add_column("post_target", sa.Column("warning", sa.Text(), nullable=True), schema="publisher")
    op.add_column(
        "post_target", sa.Column("warning_kind", sa.Text(), nullable=True), schema="publisher"
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_column("post_target", "warning_kind", schema="publisher")
    op.drop_column("post_target", "warning", schema="publisher")
    # Without `source` the workspace's replicas would pass for the publisher's own accounts and
    # could break the tenant-wide uniqueness restored below: they go (their posts still due fail
    # for want of an account) and come back only when connected again in the workspace.
    op.execute("DELETE FROM publisher.account WHERE source = 'workspace'")
    op.drop_index(
        "uq_account_tenant_id_network_external_account_id",
        table_name="account",
        schema="publisher",
    )
    op.create_unique_constraint(
        op.f("uq_account_tenant_id_network_external_account_id"),
        "account",
        ["tenant_id", "network", "external_account_id"],
        schema="publisher",
    )
    op.drop_constraint(op.f("ck_account_status"), "account", schema="publisher", type_="check")
    op.create_check_constraint(
        op.f("ck_account_status"),
        "account",
        "status IN ('active', 'paused', 'needs_reauth')",
        schema="publisher",
    )
    op.drop_constraint(op.f("ck_account_source"), "account", schema="publisher", type_="check")
    op.drop_column("account", "workspace_version", schema="publisher")
    op.drop_column("account", "source", schema="publisher")
