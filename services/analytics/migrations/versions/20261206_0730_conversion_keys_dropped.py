"""conversion keys dropped: a conversion no longer holds an Idempotency-Key, the table of keys
does

Revision ID: f3d6b7c8e9a0
Revises: e2c5a6b7d8f9
Create Date: 2026-12-06 07:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f3d6b7c8e9a0"
down_revision: str | None = "e2c5a6b7d8f9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_constraint("uq_conversion_tenant_id_idempotency_key", "conversion", schema="analytics")
    op.drop_column("conversion", "idempotency_key", schema="analytics")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.add_column("conversion", sa.Column("idempotency_key", sa.Text()), schema="analytics")
    # A single conversion's key has its own digest; a batch's items get `batch:<key>:<position>`.
    op.execute(
        """
        UPDATE analytics.conversion AS c
        SET idempotency_key = CASE
            WHEN k.fingerprint = c.request_hash THEN k.key
            ELSE 'batch:' || k.key || ':' || (e.position - 1)
        END
        FROM analytics.idempotency_key AS k,
             jsonb_array_elements_text(k.response -> 'ids') WITH ORDINALITY AS e(id, position)
        WHERE k.tenant_id = c.tenant_id AND e.id::uuid = c.id
        """
    )
    op.create_unique_constraint(
        "uq_conversion_tenant_id_idempotency_key",
        "conversion",
        ["tenant_id", "idempotency_key"],
        schema="analytics",
    )
