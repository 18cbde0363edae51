"""post keys copied: each post's Idempotency-Key and request hash into the table of keys, with
the post's id as the answer a retry gets

Revision ID: b8f2d1e3c4a5
Revises: a7e1c0d2b3f4
Create Date: 2026-12-06 07:25:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b8f2d1e3c4a5"
down_revision: str | None = "a7e1c0d2b3f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    # The request hash was the same digest of the body that beacon_shared.idempotency takes.
    op.execute(
        """
        INSERT INTO publisher.idempotency_key (tenant_id, key, fingerprint, response, created_at)
        SELECT tenant_id, idempotency_key, request_hash,
               jsonb_build_object('post_id', id::text), created_at
        FROM publisher.post
        WHERE idempotency_key IS NOT NULL
        ON CONFLICT (tenant_id, key) DO NOTHING
        """
    )


def downgrade() -> None:
    # The copies go with their table (the revision before); the next one's downgrade puts the
    # keys back on their posts.
    pass
