"""All SQL of the stream's log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, delete, func, or_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from inbox.stream.models import stream_event, stream_trim

# Woken with the organization's id as payload when its transaction commits new events.
CHANNEL = "inbox_stream"

# One statement per append: take the organization's lock (held until commit, so its events
# commit in the order of their ids), insert after it, and notify listeners once it commits.
_APPEND = text(
    """
    WITH held AS (SELECT pg_advisory_xact_lock(hashtextextended('inbox.stream:' || :tenant, 0))),
    added AS (
        INSERT INTO inbox.stream_event (tenant_id, brand_id, type, data, created_at)
        SELECT :tenant, e.brand_id, e.type, e.data::jsonb, :now
        FROM held, unnest(CAST(:brand_ids AS text[]), CAST(:types AS text[]),
                          CAST(:datas AS text[])) WITH ORDINALITY AS e(brand_id, type, data, n)
        ORDER BY e.n
        RETURNING 1
    )
    SELECT pg_notify(:channel, :tenant) FROM (SELECT count(*) FROM added) AS counted
    """
)

# The organizations with events, one index probe each rather than a scan of the log.
_TENANTS = text(
    """
    WITH RECURSIVE t AS (
        (SELECT tenant_id FROM inbox.stream_event ORDER BY tenant_id LIMIT 1)
        UNION ALL
        SELECT (SELECT s.tenant_id FROM inbox.stream_event s WHERE s.tenant_id > t.tenant_id
                ORDER BY s.tenant_id LIMIT 1)
        FROM t WHERE t.tenant_id IS NOT NULL
    )
    SELECT tenant_id FROM t WHERE tenant_id IS NOT NULL
    """
)


async def append(
    session: AsyncSession,
    *,
    tenant_id: str,
    brand_ids: Sequence[str | None],
    types: Sequence[str],
    datas: Sequence[str],
    now: datetime,
) -> None:
    """Add one organization's events (JSON texts), in order, to its log."""
    await session.execute(
        _APPEND,
        {
            "tenant": tenant_id,
            "brand_ids": list(brand_ids),
            "types": list(types),
            "datas": list(datas),
            "now": now,
            "channel": CHANNEL,
        },
    )


def _of(tenant_id: str, brand_ids: frozenset[str] | None) -> list[Any]:
    e = stream_event.c
    where: list[Any] = [e.tenant_id == tenant_id]
    if brand_ids is not None:
        where.append(e.brand_id.in_(sorted(brand_ids)))
    return where


async def after(
    conn: AsyncConnection | AsyncSession,
    *,
    tenant_id: str,
    after_id: int,
    brand_ids: frozenset[str] | None,
    limit: int,
) -> list[Row[Any]]:
    """Up to `limit` of the organization's events after `after_id` on these brands (None: all,
    brandless ones included), oldest first."""
    e = stream_event.c
    rows = await conn.execute(
        select(stream_event)
        .where(*_of(tenant_id, brand_ids), e.id > after_id)
        .order_by(e.id)
        .limit(limit)
    )
    return list(rows.all())


async def latest_id(conn: AsyncConnection | AsyncSession, *, tenant_id: str) -> int:
    """The id of the organization's newest event; 0 when it has none."""
    e = stream_event.c
    found = await conn.scalar(select(func.max(e.id)).where(e.tenant_id == tenant_id))
    return int(found or 0)


async def trimmed_through(conn: AsyncConnection | AsyncSession, *, tenant_id: str) -> int:
    """The newest id trimming removed from the organization's log; 0 when none was."""
    found = await conn.scalar(
        select(stream_trim.c.trimmed_through).where(stream_trim.c.tenant_id == tenant_id)
    )
    return int(found or 0)


async def tenants(session: AsyncSession) -> list[str]:
    """The organizations whose log holds events."""
    return list((await session.execute(_TENANTS)).scalars())


async def trim(session: AsyncSession, *, tenant_id: str, before: datetime, keep: int) -> int:
    """Remove the organization's events older than `before`, and all but its newest `keep`;
    record the newest id removed. How many were."""
    e = stream_event.c
    oldest_kept = (
        select(e.id)
        .where(e.tenant_id == tenant_id)
        .order_by(e.id.desc())
        .offset(keep - 1)
        .limit(1)
        .scalar_subquery()
    )
    removed = await session.execute(
        delete(stream_event)
        .where(
            e.tenant_id == tenant_id,
            or_(e.created_at < before, and_(oldest_kept.is_not(None), e.id < oldest_kept)),
        )
        .returning(e.id)
    )
    ids = list(removed.scalars())
    if ids:
        new = insert(stream_trim).values(tenant_id=tenant_id, trimmed_through=max(ids))
        await session.execute(
            new.on_conflict_do_update(
                index_elements=[stream_trim.c.tenant_id],
                set_={
                    "trimmed_through": func.greatest(
                        stream_trim.c.trimmed_through, new.excluded.trimmed_through
                    )
                },
            )
        )
    return len(ids)


async def delete_about(
    session: AsyncSession, *, tenant_id: str, field: str, values: Sequence[str]
) -> int:
    """Remove the organization's events whose data has `field` among `values`; how many."""
    e = stream_event.c
    removed = await session.execute(
        delete(stream_event).where(
            e.tenant_id == tenant_id, e.data["data"][field].astext.in_(list(values))
        )
    )
    return int(removed.rowcount or 0)  # type: ignore[attr-defined]
