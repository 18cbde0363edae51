"""conversion keys copied: each conversion's Idempotency-Key into the table of keys, a batch's
items (stored as `batch:<key>:<position>`) under their batch's key

Revision ID: e2c5a6b7d8f9
Revises: d1b4f5a6c7e8
Create Date: 2026-12-06 07:25:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "e2c5a6b7d8f9"
down_revision: str | None = "d1b4f5a6c7e8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    # A single conversion's request hash is the digest the API takes of its request.
    op.execute(
        """
        INSERT INTO analytics.idempotency_key (tenant_id, key, fingerprint, response, created_at)
        SELECT tenant_id, idempotency_key, request_hash,
               jsonb_build_object('ids', jsonb_build_array(id::text)), received_at
        FROM analytics.conversion
        WHERE idempotency_key IS NOT NULL AND idempotency_key !~ '^batch:(.*):[0-9]+$'
        ON CONFLICT (tenant_id, key) DO NOTHING
        """
    )
    # A batch's digest is that of the JSON list of its items' digests in order
    # (analytics.roi.conversions.batch_fingerprint). An item that replayed an earlier
    # conversion_id was stored without the key, so its batch's digest cannot be rebuilt: a
    # retry of such a batch is refused (422) rather than recorded twice.
    op.execute(
        """
        INSERT INTO analytics.idempotency_key (tenant_id, key, fingerprint, response, created_at)
        SELECT tenant_id, batch_key,
               encode(sha256(convert_to(
                   '[' || string_agg('"' || request_hash || '"', ',' ORDER BY position) || ']',
                   'UTF8'
               )), 'hex'),
               jsonb_build_object('ids', jsonb_agg(id::text ORDER BY position)),
               min(received_at)
        FROM (
            SELECT tenant_id, id, request_hash, received_at,
                   substring(idempotency_key FROM '^batch:(.*):[0-9]+$') AS batch_key,
                   substring(idempotency_key FROM ':([0-9]+)$')::int AS position
            FROM analytics.conversion
            WHERE idempotency_key ~ '^batch:(.*):[0-9]+$'
        ) AS item
        GROUP BY tenant_id, batch_key
        ON CONFLICT (tenant_id, key) DO NOTHING
        """
    )


def downgrade() -> None:
    # The copies go with their table (the revision before); the next one's downgrade puts the
    # keys back on their conversions.
    pass
