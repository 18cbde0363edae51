"""brands registered: every brand id analytics holds joins the organization's brand registry

Revision ID: 3b7e0c5d9a21
Revises: d68c816715af
Create Date: 2026-12-05 23:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3b7e0c5d9a21"
down_revision: str | None = "d68c816715af"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    # Brands named before the registry existed keep working once every request's brand is
    # checked against it. Where analytics keeps brand ids: every brand seen in an event
    # (rollups, alerts and first responses come from those events), campaigns, reports and their
    # schedules, and observed posts; '' stands for events without a brand: no brand.
    op.execute(
        """
        CREATE TEMPORARY TABLE used_brand ON COMMIT DROP AS
        SELECT tenant_id, brand_id FROM analytics.brand
        UNION SELECT tenant_id, brand_id FROM analytics.campaign
        UNION SELECT tenant_id, brand_id FROM analytics.report
        UNION SELECT tenant_id, brand_id FROM analytics.report_schedule
        UNION SELECT tenant_id, brand_id FROM analytics.alert
        UNION SELECT tenant_id, brand_id FROM analytics.observed_post
        """
    )
    op.execute("DELETE FROM used_brand WHERE brand_id IS NULL OR brand_id = ''")
    op.execute(
        "INSERT INTO iam.tenant (id, name) SELECT DISTINCT tenant_id, tenant_id FROM used_brand "
        "ON CONFLICT DO NOTHING"
    )
    op.execute(
        "INSERT INTO iam.brand (tenant_id, id) SELECT tenant_id, brand_id FROM used_brand "
        "ON CONFLICT DO NOTHING"
    )
    op.execute("DROP TABLE used_brand")


def downgrade() -> None:
    # The brands stay registered: the registry owns them now, and other services use them.
    pass
