"""accounts from the workspace: connected accounts kept as replicas of the workspace's registry

Revision ID: 854e1f5b6139
Revises: 6a2d8f4c1e93
Create Date: 2026-12-06 00:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "854e1f5b6139"
down_revision: str | None = "6a2d8f4c1e93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    # The registry's version of an account kept from the workspace's events (the newest wins);
    # null for an account connected through ingest's own API.
    op.add_column(
        "connected_account",
        sa.Column("workspace_version", sa.BigInteger(), nullable=True),
        schema="ingest",
    )
    # A registry account disconnected in the workspace keeps its row (and version, so a late
    # event cannot bring it back) without credentials.
    op.drop_constraint(
        op.f("ck_connected_account_status"), "connected_account", schema="ingest", type_="check"
    )
    op.create_check_constraint(
        op.f("ck_connected_account_status"),
        "connected_account",
        "status IN ('active', 'paused', 'needs_reauth', 'disconnected')",
        schema="ingest",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("DELETE FROM ingest.connected_account WHERE status = 'disconnected'")
    op.drop_constraint(
        op.f("ck_connected_account_status"), "connected_account", schema="ingest", type_="check"
    )
    op.create_check_constraint(
        op.f("ck_connected_account_status"),
        "connected_account",
        "status IN ('active', 'paused', 'needs_reauth')",
        schema="ingest",
    )
    op.drop_column("connected_account", "workspace_version", schema="ingest")
