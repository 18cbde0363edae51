"""brand ids registered: every brand moderation already holds becomes a brand of the registry

Revision ID: 9369a27ee1ee
Revises: 078e056f609c
Create Date: 2026-12-05 22:35:00.000000
"""

from collections.abc import Sequence

from alembic import op

from beacon_shared.migrations import register_brand_ids

revision: str = "9369a27ee1ee"
down_revision: str | None = "078e056f609c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every table of the schema with a brand_id column.
TABLES = [
    "comment",
    "decision",
    "review_item",
    "network_action",
    "audit_entry",
    "saved_reply",
    "rule_set",
    "brand_label",
    "brand_model",
    "brand_alert",
]


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    # Moderation now refuses brands the organization has not registered: the ids its clients
    # used until now are registered, so that they keep working.
    register_brand_ids(op.get_bind(), "moderation", TABLES)


def downgrade() -> None:
    # The registered brands stay: the workspace owns them from now on, and other services may
    # hold the same ids.
    pass
