"""decision references comment: the comment's text, author, network, kind and ids are read from
the stored comment instead of copied into the decision

Revision ID: c52d1e4f8b23
Revises: b41c0d3e7a12
Create Date: 2026-12-06 04:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c52d1e4f8b23"
down_revision: str | None = "b41c0d3e7a12"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The copies, and whether the column was required.
COPIES = [
    ("network", False),
    ("kind", False),
    ("external_id", False),
    ("thread_external_id", True),
    ("author_handle", True),
    ("text_excerpt", False),
]


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_foreign_key(
        op.f("fk_decision_tenant_id_comment"),
        "decision",
        "comment",
        ["tenant_id", "interaction_id"],
        ["tenant_id", "interaction_id"],
        source_schema="moderation",
        referent_schema="moderation",
    )
    for column, _ in COPIES:
        op.drop_column("decision", column, schema="moderation")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    for column, _ in COPIES:
        op.add_column("decision", sa.Column(column, sa.Text(), nullable=True), schema="moderation")
    # 500: the excerpt's length when decisions copied it (moderation.decisions.models).
    op.execute(
        """
        UPDATE moderation.decision AS d
        SET network = c.network, kind = c.kind, external_id = c.external_id,
            thread_external_id = c.thread_external_id, author_handle = c.author_handle,
            text_excerpt = left(c.text, 500)
        FROM moderation.comment AS c
        WHERE c.tenant_id = d.tenant_id AND c.interaction_id = d.interaction_id
        """
    )
    for column, nullable in COPIES:
        if not nullable:
            op.alter_column("decision", column, nullable=False, schema="moderation")
    op.drop_constraint(
        op.f("fk_decision_tenant_id_comment"), "decision", type_="foreignkey", schema="moderation"
    )
