"""brands from the workspace: post authors, self-approval, brand ids registered, settings handed
to the registry

Revision ID: 5c0e9a7d2b14
Revises: 4a86f6569e52
Create Date: 2026-12-05 22:40:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy import insert

from beacon_shared.contracts.publisher import BrandConfigured
from beacon_shared.events import Envelope
from beacon_shared.migrations import register_brand_ids
from beacon_shared.outbox import outbox_records
from publisher.db import outbox

revision: str = "5c0e9a7d2b14"
down_revision: str | None = "4a86f6569e52"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.add_column(
        "post",
        sa.Column("created_by", sa.Text(), nullable=True, comment="`user:<id>` or `key:<id>`"),
        schema="publisher",
    )
    op.add_column(
        "brand_settings",
        sa.Column(
            "self_approval_allowed", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        schema="publisher",
    )
    connection = op.get_bind()
    register_brand_ids(
        connection, "publisher", ["post", "campaign", "account", "brand_settings", "brand_pause"]
    )
    # The registry adopts the settings saved here until now: they go out once more as the
    # publisher's own brand.configured, which the workspace reads (newer ones it holds win).
    saved = connection.execute(
        sa.text(
            "SELECT tenant_id, brand_id, timezone, approval_required, pause_on_alert, updated_at "
            "FROM publisher.brand_settings"
        )
    ).all()
    envelopes = [
        Envelope.build(
            BrandConfigured(
                brand_id=row.brand_id,
                timezone=row.timezone,
                approval_required=row.approval_required,
                pause_on_alert=row.pause_on_alert,
                configured_at=row.updated_at or datetime.now(UTC),
            ),
            tenant_id=row.tenant_id,
            subject=row.brand_id,
            source="/beacon/publisher",
        )
        for row in saved
    ]
    if envelopes:
        connection.execute(
            insert(outbox), [record._asdict() for record in outbox_records(envelopes)]
        )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_column("brand_settings", "self_approval_allowed", schema="publisher")
    op.drop_column("post", "created_by", schema="publisher")
