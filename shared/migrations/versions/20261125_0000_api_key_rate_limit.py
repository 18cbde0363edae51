"""iam: a per-key request rate limit

Revision ID: a931bf4a8193
Revises: iam_0001
Create Date: 2026-11-25 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a931bf4a8193"
down_revision: str | None = "iam_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    # Nullable without a default: existing keys keep following the platform default.
    op.add_column(
        "api_key",
        sa.Column(
            "rate_limit_per_minute",
            sa.Integer(),
            nullable=True,
            comment="Requests a minute per API process; NULL means the platform default.",
        ),
        schema="iam",
    )
    op.create_check_constraint(
        "ck_api_key_rate_limit_per_minute_positive",
        "api_key",
        "rate_limit_per_minute > 0",
        schema="iam",
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_constraint(
        "ck_api_key_rate_limit_per_minute_positive", "api_key", type_="check", schema="iam"
    )
    op.drop_column("api_key", "rate_limit_per_minute", schema="iam")
