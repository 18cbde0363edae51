"""brands registered: every brand id ingest holds joins the organization's brand registry

Revision ID: 6a2d8f4c1e93
Revises: 839271d2c304
Create Date: 2026-12-05 23:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

from beacon_shared.migrations import register_brand_ids

revision: str = "6a2d8f4c1e93"
down_revision: str | None = "839271d2c304"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    # Brands named before the registry existed keep working once every request's brand is
    # checked against it. Where ingest keeps brand ids: interactions (read once, without
    # blocking writes), connected accounts, tracked competitors and requested network actions.
    register_brand_ids(
        op.get_bind(),
        "ingest",
        ["interaction", "connected_account", "tracked_account", "network_action"],
    )


def downgrade() -> None:
    # The brands stay registered: the registry owns them now, and other services use them.
    pass
