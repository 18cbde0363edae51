"""brands registered: every brand id analytics holds joins the organization's brand registry

Revision ID: 3b7e0c5d9a21
Revises: d68c816715af
Create Date: 2026-12-05 23:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

from beacon_shared.migrations import register_brand_ids

revision: str = "3b7e0c5d9a21"
down_revision: str | None = "d68c816715af"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    # Brands named before the registry existed keep working once every request's brand is
    # checked against it. Where analytics keeps brand ids: every brand seen in an event
    # (rollups, alerts and first responses come from those events), campaigns, reports and
    # their schedules, and observed posts; '' (events without a brand) is no brand.
    register_brand_ids(
        op.get_bind(),
        "analytics",
        ["brand", "campaign", "report", "report_schedule", "alert", "observed_post"],
    )


def downgrade() -> None:
    # The brands stay registered: the registry owns them now, and other services use them.
    pass
