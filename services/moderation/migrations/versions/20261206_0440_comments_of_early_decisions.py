"""comments of early decisions: every decided comment has its stored comment

Revision ID: b41c0d3e7a12
Revises: 9369a27ee1ee
Create Date: 2026-12-06 04:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b41c0d3e7a12"
down_revision: str | None = "9369a27ee1ee"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    # Decisions taken before moderation kept comments (20261124_2138) have no stored comment;
    # the next revision makes each decision reference its own. Such a comment is rebuilt from
    # what its decision copied: the text is the excerpt, the author's id unknown (''), the
    # language undetermined, and both times the decision's.
    op.execute(
        """
        INSERT INTO moderation.comment (
            tenant_id, interaction_id, brand_id, network, kind, external_id,
            thread_external_id, author_id, author_handle, text, language, created_at, received_at
        )
        SELECT d.tenant_id, d.interaction_id, d.brand_id, d.network, d.kind, d.external_id,
               d.thread_external_id, '', d.author_handle, d.text_excerpt, 'und', d.decided_at,
               d.decided_at
        FROM moderation.decision AS d
        ON CONFLICT (tenant_id, interaction_id) DO NOTHING
        """
    )


def downgrade() -> None:
    # The rebuilt comments stay: they hold nothing the decisions did not.
    pass
