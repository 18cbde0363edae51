"""An author's interactions erased on request, and raw payloads cleared past their retention:
the writes other packages ask of the interaction table for privacy."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import func, null, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ingest.interactions.models import interaction

c = interaction.c


async def erase_authored(
    session: AsyncSession, *, tenant_id: str, brand_id: str | None, network: str, author_id: str
) -> list[UUID]:
    """Strip the author's interactions of everything about them (text, author fields, raw
    payload), keeping the rows' network and ids so that a redelivery is not filed again; the ids
    erased."""
    stmt = (
        update(interaction)
        .where(
            c.tenant_id == tenant_id,
            c.network == network,
            c.author_id == author_id,
            c.erased_at.is_(None),
        )
        .values(
            author_id="",
            author_handle=None,
            author_name=None,
            author_followers=None,
            text="",
            raw=null(),
            erased_at=func.now(),
        )
        .returning(c.id)
    )
    if brand_id is not None:
        stmt = stmt.where(c.brand_id == brand_id)
    return list((await session.execute(stmt)).scalars())


async def clear_raw_payloads(session: AsyncSession, *, before: datetime, limit: int) -> int:
    """Clear the raw payloads of up to `limit` interactions received before `before`, skipping
    rows another transaction holds; how many were cleared."""
    batch = (
        select(c.id)
        .where(c.raw.is_not(None), c.received_at < before)
        .order_by(c.received_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    result = await session.execute(update(interaction).where(c.id.in_(batch)).values(raw=null()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
