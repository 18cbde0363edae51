"""backfill: conversations not resolved wait since their latest message

Revision ID: 5a7e3c91d2f4
Revises: 8d2c6f0a9b13
Create Date: 2026-12-06 07:01:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5a7e3c91d2f4"
down_revision: str | None = "8d2c6f0a9b13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    # The brand's replies are not in the inbox yet: what is not resolved waits, since its latest
    # message at least.
    op.execute(
        "UPDATE inbox.conversation SET waiting_since = last_inbound_at "
        "WHERE status <> 'resolved' AND waiting_since IS NULL"
    )


def downgrade() -> None:
    # The column goes with the previous revision's downgrade; nothing to undo here.
    pass
