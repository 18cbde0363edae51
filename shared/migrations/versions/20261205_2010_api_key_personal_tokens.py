"""iam: personal tokens, API keys that act as one user within their current role

Revision ID: 7c2f4e1a9b30
Revises: 63e5d1a49ba0
Create Date: 2026-12-05 20:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c2f4e1a9b30"
down_revision: str | None = "63e5d1a49ba0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    # Nullable, no default: adding it rewrites nothing, and every existing key stays the
    # organization's own.
    op.add_column("api_key", sa.Column("user_id", sa.UUID(), nullable=True), schema="iam")
    op.create_foreign_key(
        op.f("fk_api_key_user_id_user"),
        "api_key",
        "user",
        ["user_id"],
        ["id"],
        source_schema="iam",
        referent_schema="iam",
        ondelete="CASCADE",
    )
    op.create_index(
        "ix_api_key_user_id",
        "api_key",
        ["user_id"],
        unique=False,
        schema="iam",
        postgresql_where=sa.text("user_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    # Personal tokens cannot outlive the column that limits them to their user's role.
    op.execute("DELETE FROM iam.api_key WHERE user_id IS NOT NULL")
    op.drop_index("ix_api_key_user_id", table_name="api_key", schema="iam")
    op.drop_constraint(op.f("fk_api_key_user_id_user"), "api_key", schema="iam", type_="foreignkey")
    op.drop_column("api_key", "user_id", schema="iam")
