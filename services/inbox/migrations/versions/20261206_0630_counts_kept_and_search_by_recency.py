"""status counts kept as conversations change; accent-insensitive search; messages by recency

Revision ID: 3e8b1d52c4a7
Revises: 6c1f3a9e2b70
Create Date: 2026-12-06 06:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3e8b1d52c4a7"
down_revision: str | None = "6c1f3a9e2b70"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_VECTOR = (
    "CASE language "
    "WHEN 'en' THEN to_tsvector('english'::regconfig, text) "
    "WHEN 'fr' THEN to_tsvector('french'::regconfig, text) "
    "|| to_tsvector('inbox.french_unaccent'::regconfig, text) "
    "ELSE to_tsvector('inbox.simple_unaccent'::regconfig, text) END"
)
OLD_SEARCH_VECTOR = (
    "to_tsvector(CASE language WHEN 'en' THEN 'english'::regconfig "
    "WHEN 'fr' THEN 'french'::regconfig ELSE 'simple'::regconfig END, text)"
)
DIMENSIONS = "tenant_id, brand_id, assignee, status"

# One function for the three statement triggers: each statement's conversations counted in
# (new rows) and out (old rows) of their brand, assignee and status, in one appended row per
# combination that moved. Appending, not updating a total, so that concurrent writers never
# wait on one another's counter rows.
COUNT_CHANGES = f"""
CREATE FUNCTION inbox.count_status_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO inbox.status_count_change ({DIMENSIONS}, n)
        SELECT {DIMENSIONS}, count(*) FROM new_rows GROUP BY {DIMENSIONS};
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO inbox.status_count_change ({DIMENSIONS}, n)
        SELECT {DIMENSIONS}, -count(*) FROM old_rows GROUP BY {DIMENSIONS};
    ELSE
        INSERT INTO inbox.status_count_change ({DIMENSIONS}, n)
        SELECT {DIMENSIONS}, sum(n) FROM (
            SELECT {DIMENSIONS}, 1 AS n FROM new_rows
            UNION ALL
            SELECT {DIMENSIONS}, -1 AS n FROM old_rows
        ) AS moved
        GROUP BY {DIMENSIONS}
        HAVING sum(n) <> 0;
    END IF;
    RETURN NULL;
END
$$
"""  # noqa: S608 (constants only)
TRIGGERS = {
    "INSERT": "REFERENCING NEW TABLE AS new_rows",
    "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "REFERENCING OLD TABLE AS old_rows",
}


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction holding a lock.
    op.execute("SET LOCAL lock_timeout = '5s'")
    # Trusted since PostgreSQL 13: the schema's owner may create it; where it is already
    # installed, its schema holds the dictionary.
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA inbox")
    where = op.get_bind().scalar(
        sa.text(
            "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'unaccent'"
        )
    )
    for name, parser in (("french_unaccent", "french"), ("simple_unaccent", "simple")):
        op.execute(f"CREATE TEXT SEARCH CONFIGURATION inbox.{name} (COPY = pg_catalog.{parser})")
        stem = "french_stem" if parser == "french" else "simple"
        op.execute(
            f"ALTER TEXT SEARCH CONFIGURATION inbox.{name} "
            f"ALTER MAPPING FOR hword, hword_part, word WITH {where}.unaccent, {stem}"
        )
    op.execute(
        f"ALTER TABLE inbox.message ALTER COLUMN search_vector SET EXPRESSION AS ({SEARCH_VECTOR})"
    )
    op.create_index("ix_message_recent", "message", ["tenant_id", "created_at"], schema="inbox")
    op.create_table(
        "status_count",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=True),
        sa.Column("assignee", sa.UUID(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint(
            "tenant_id",
            "brand_id",
            "assignee",
            "status",
            name="uq_status_count",
            postgresql_nulls_not_distinct=True,
        ),
        schema="inbox",
    )
    op.create_table(
        "status_count_change",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Text(), nullable=True),
        sa.Column("assignee", sa.UUID(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_count_change")),
        schema="inbox",
    )
    op.create_index(
        "ix_status_count_change_tenant_id", "status_count_change", ["tenant_id"], schema="inbox"
    )
    op.execute(COUNT_CHANGES)
    for event, transition in TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER count_status_on_{event.lower()} AFTER {event} ON inbox.conversation "
            f"{transition} FOR EACH STATEMENT EXECUTE FUNCTION inbox.count_status_changes()"
        )
    # The totals so far, in the transaction that created the triggers: their lock keeps any
    # writer out until it commits, so no change is counted twice or missed.
    totals = f"SELECT {DIMENSIONS}, count(*) FROM inbox.conversation GROUP BY {DIMENSIONS}"  # noqa: S608
    op.execute(f"INSERT INTO inbox.status_count ({DIMENSIONS}, n) {totals}")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    for event in TRIGGERS:
        op.execute(f"DROP TRIGGER count_status_on_{event.lower()} ON inbox.conversation")
    op.execute("DROP FUNCTION inbox.count_status_changes()")
    op.drop_table("status_count_change", schema="inbox")
    op.drop_table("status_count", schema="inbox")
    op.drop_index("ix_message_recent", table_name="message", schema="inbox")
    op.execute(
        f"ALTER TABLE inbox.message ALTER COLUMN search_vector SET EXPRESSION AS ({OLD_SEARCH_VECTOR})"
    )
    op.execute("DROP TEXT SEARCH CONFIGURATION inbox.simple_unaccent")
    op.execute("DROP TEXT SEARCH CONFIGURATION inbox.french_unaccent")
    if op.get_bind().scalar(
        sa.text(
            "SELECT 1 FROM pg_extension WHERE extname = 'unaccent' AND extnamespace = 'inbox'::regnamespace"
        )
    ):
        op.execute("DROP EXTENSION unaccent")
