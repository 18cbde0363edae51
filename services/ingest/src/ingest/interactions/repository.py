"""All SQL of interactions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import Row, Select, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.outbox import notify_channel
from beacon_shared.pagination import Cursor
from ingest.db import SCHEMA, outbox
from ingest.interactions.models import interaction
from ingest.interactions.schemas import InteractionQuery

c = interaction.c

# (column, PostgreSQL array type) in the order of the rows `store` receives.
STORED_COLUMNS = [
    ("id", "uuid[]"),
    ("tenant_id", "text[]"),
    ("brand_id", "text[]"),
    ("account_id", "text[]"),
    ("network", "text[]"),
    ("kind", "text[]"),
    ("external_id", "text[]"),
    ("parent_external_id", "text[]"),
    ("thread_external_id", "text[]"),
    ("author_id", "text[]"),
    ("author_handle", "text[]"),
    ("author_name", "text[]"),
    ("author_followers", "int4[]"),
    ("text", "text[]"),
    ("created_at", "timestamptz[]"),
    ("received_at", "timestamptz[]"),
    ("raw", "jsonb[]"),
]
EVENT_COLUMNS = [
    ("interaction_id", "uuid[]"),
    ("event_id", "uuid[]"),
    ("topic", "text[]"),
    ("key", "text[]"),
    ("value", "bytea[]"),
    ("headers", "jsonb[]"),
]


def _unnest(columns: list[tuple[str, str]], first: int) -> str:
    arrays = ", ".join(f"${first + n}::{kind}" for n, (_, kind) in enumerate(columns))
    return f"unnest({arrays})"


_names = ", ".join(name for name, _ in STORED_COLUMNS)
_events = len(STORED_COLUMNS) + 1
# One statement, so atomic without BEGIN/COMMIT: the rows that are new, the events of exactly
# those (in the order given, which is the order the relay publishes), and the relay's wake-up.
# Built from the constants above only, never from input.
STORE_SQL = f"""
WITH new AS (
    INSERT INTO {SCHEMA}.interaction ({_names})
    SELECT * FROM {_unnest(STORED_COLUMNS, 1)}
    ON CONFLICT (tenant_id, network, external_id) DO NOTHING
    RETURNING id
), staged AS (
    INSERT INTO {SCHEMA}.outbox (event_id, topic, key, value, headers)
    SELECT e.event_id, e.topic, e.key, e.value, e.headers
    FROM {_unnest(EVENT_COLUMNS, _events)} WITH ORDINALITY
        AS e(interaction_id, event_id, topic, key, value, headers, position)
    WHERE e.interaction_id IN (SELECT id FROM new)
    ORDER BY e.position
)
SELECT id, pg_notify('{notify_channel(outbox)}', '') FROM new
"""  # noqa: S608
STORED_IDS_SQL = f"""
SELECT i.tenant_id, i.network, i.external_id, i.id
FROM {SCHEMA}.interaction AS i
JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(tenant_id, network, external_id)
    USING (tenant_id, network, external_id)
"""  # noqa: S608


class Fetch(Protocol):
    """Runs one SQL statement with positional parameters; returns its rows."""

    async def __call__(self, sql: str, *args: Any) -> Sequence[Any]: ...


def session_fetch(session: AsyncSession) -> Fetch:
    """`Fetch` inside the session's transaction."""

    async def fetch(sql: str, *args: Any) -> Sequence[Any]:
        connection = await session.connection()
        return (await connection.exec_driver_sql(sql, args)).all()

    return fetch


async def store(
    fetch: Fetch, rows: Sequence[Sequence[Any]], events: Sequence[Sequence[Any]]
) -> set[UUID]:
    """Insert rows (STORED_COLUMNS) but those already stored, and the events (EVENT_COLUMNS)
    of the rows that were new; returns the new rows' ids."""
    if not rows:
        return set()
    row_arrays = [list(column) for column in zip(*rows, strict=True)]
    event_arrays = (
        [list(column) for column in zip(*events, strict=True)]
        if events
        else [[] for _ in EVENT_COLUMNS]
    )
    return {record[0] for record in await fetch(STORE_SQL, *row_arrays, *event_arrays)}


async def stored_ids(
    fetch: Fetch, keys: Sequence[tuple[str, str, str]]
) -> dict[tuple[str, str, str], UUID]:
    """Ids of the stored interactions with these (tenant, network, external id)."""
    if not keys:
        return {}
    tenants, networks, external_ids = (list(column) for column in zip(*keys, strict=True))
    records = await fetch(STORED_IDS_SQL, tenants, networks, external_ids)
    return {(r[0], r[1], r[2]): r[3] for r in records}


async def get(session: AsyncSession, *, tenant_id: str, interaction_id: UUID) -> Row[Any] | None:
    """One interaction of the tenant."""
    result = await session.execute(
        select(interaction).where(
            c.tenant_id == tenant_id, c.id == interaction_id, c.erased_at.is_(None)
        )
    )
    return result.first()


async def list_interactions(
    session: AsyncSession,
    *,
    tenant_id: str,
    query: InteractionQuery,
    after: Cursor | None,
    limit: int,
    brands: frozenset[str] | None = None,
) -> list[Row[Any]]:
    """Up to `limit` interactions of the tenant (of these brands; None: every one), newest
    received first, strictly after `after`."""
    stmt = select(interaction).where(c.tenant_id == tenant_id, c.erased_at.is_(None))
    if query.brand_id is not None:
        stmt = stmt.where(c.brand_id == query.brand_id)
    if brands is not None:
        stmt = stmt.where(c.brand_id.in_(sorted(brands)))
    if query.account_id is not None:
        stmt = stmt.where(c.account_id == query.account_id)
    if query.network is not None:
        stmt = stmt.where(c.network == query.network.value)
    if query.kind:
        stmt = stmt.where(c.kind.in_([kind.value for kind in query.kind]))
    if query.since is not None:
        stmt = stmt.where(c.created_at >= query.since)
    if query.until is not None:
        stmt = stmt.where(c.created_at < query.until)
    if query.q is not None:
        # autoescape makes % and _ in the query match themselves.
        stmt = stmt.where(c.text.icontains(query.q, autoescape=True))
    if after is not None:
        stmt = stmt.where(tuple_(c.received_at, c.id) < tuple_(after.at, after.id))
    stmt = stmt.order_by(c.received_at.desc(), c.id.desc()).limit(limit)
    return list((await session.execute(stmt)).all())


async def list_thread(
    session: AsyncSession,
    *,
    tenant_id: str,
    network: str,
    thread_external_id: str,
    after: Cursor | None,
    limit: int,
    brands: frozenset[str] | None = None,
) -> list[Row[Any]]:
    """Up to `limit` interactions of one thread (of these brands; None: every one), oldest
    first, strictly after `after`."""
    stmt = select(interaction).where(
        c.tenant_id == tenant_id,
        c.network == network,
        c.thread_external_id == thread_external_id,
        c.erased_at.is_(None),
    )
    if brands is not None:
        stmt = stmt.where(c.brand_id.in_(sorted(brands)))
    if after is not None:
        stmt = stmt.where(tuple_(c.created_at, c.id) > tuple_(after.at, after.id))
    stmt = stmt.order_by(c.created_at, c.id).limit(limit)
    return list((await session.execute(stmt)).all())


async def summaries(
    session: AsyncSession, keys: Sequence[tuple[str, UUID]]
) -> dict[tuple[str, UUID], Row[Any]]:
    """The kind, author and time of the stored interactions named by (tenant, id)."""
    if not keys:
        return {}
    i = interaction.c
    query: Select[Any] = select(i.tenant_id, i.id, i.kind, i.author_id, i.created_at).where(
        i.id.in_({interaction_id for _, interaction_id in keys})
    )
    wanted = set(keys)
    rows: list[Row[Any]] = list((await session.execute(query)).all())
    return {(r.tenant_id, r.id): r for r in rows if (r.tenant_id, r.id) in wanted}
