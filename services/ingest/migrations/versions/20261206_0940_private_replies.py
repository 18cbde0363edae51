"""private replies: what the executor needs to send a reply as a private message (the kind of
the interaction replied to, whom to send it to, when the person last wrote, whether the brand
allows the HUMAN_AGENT tag)

Revision ID: 7e2a4c6b8d10
Revises: 1c5d7f9a4e63
Create Date: 2026-12-06 09:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7e2a4c6b8d10"
down_revision: str | None = "1c5d7f9a4e63"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("kind", "recipient_external_id", "last_inbound_at", "human_agent")


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.add_column("network_action", sa.Column("kind", sa.Text(), nullable=True), schema="ingest")
    op.add_column(
        "network_action",
        sa.Column("recipient_external_id", sa.Text(), nullable=True),
        schema="ingest",
    )
    op.add_column(
        "network_action",
        sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=True),
        schema="ingest",
    )
    op.add_column(
        "network_action",
        sa.Column("human_agent", sa.Boolean(), server_default=sa.false(), nullable=False),
        schema="ingest",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    for column in reversed(COLUMNS):
        op.drop_column("network_action", column, schema="ingest")
