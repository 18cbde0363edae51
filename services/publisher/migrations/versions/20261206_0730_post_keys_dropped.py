"""post keys dropped: a post no longer holds its Idempotency-Key, the table of keys does

Revision ID: c9a3e2f4d5b6
Revises: b8f2d1e3c4a5
Create Date: 2026-12-06 07:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c9a3e2f4d5b6"
down_revision: str | None = "b8f2d1e3c4a5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_constraint("uq_post_tenant_id_idempotency_key", "post", schema="publisher")
    op.drop_column("post", "request_hash", schema="publisher")
    op.drop_column("post", "idempotency_key", schema="publisher")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.add_column("post", sa.Column("idempotency_key", sa.Text()), schema="publisher")
    op.add_column("post", sa.Column("request_hash", sa.Text()), schema="publisher")
    op.execute(
        """
        UPDATE publisher.post AS p
        SET idempotency_key = k.key, request_hash = k.fingerprint
        FROM publisher.idempotency_key AS k
        WHERE k.tenant_id = p.tenant_id AND (k.response ->> 'post_id')::uuid = p.id
        """
    )
    op.create_unique_constraint(
        "uq_post_tenant_id_idempotency_key",
        "post",
        ["tenant_id", "idempotency_key"],
        schema="publisher",
    )
