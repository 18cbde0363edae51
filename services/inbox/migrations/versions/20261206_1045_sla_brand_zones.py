"""sla brand zones: each brand's time zone from brand.configured, the zone of a policy naming none

Revision ID: 6b2d9f4e8a13
Revises: 1a6c8e4f2d97
Create Date: 2026-12-06 10:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6b2d9f4e8a13"
down_revision: str | None = "1a6c8e4f2d97"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "brand_zone",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=False),
        sa.Column("timezone", sa.Text(), nullable=False),
        sa.Column("configured_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "brand_id", name=op.f("pk_brand_zone")),
        schema="inbox",
    )
    op.alter_column("sla_policy", "timezone", nullable=True, schema="inbox")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    # A policy that followed its brand's zone keeps the one it had.
    op.execute(
        "UPDATE inbox.sla_policy p SET timezone = COALESCE("
        "(SELECT z.timezone FROM inbox.brand_zone z "
        "WHERE z.tenant_id = p.tenant_id AND z.brand_id = p.brand_id), 'UTC') "
        "WHERE p.timezone IS NULL"
    )
    op.alter_column("sla_policy", "timezone", nullable=False, schema="inbox")
    op.drop_table("brand_zone", schema="inbox")
