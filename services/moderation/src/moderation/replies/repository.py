"""All SQL of saved replies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from moderation.replies.models import saved_reply


async def insert_one(session: AsyncSession, row: dict[str, Any]) -> Row[Any]:
    """Insert; a taken name raises IntegrityError, in a savepoint so the transaction goes on."""
    async with session.begin_nested():
        result = await session.execute(insert(saved_reply).values(row).returning(saved_reply))
        inserted: Row[Any] = result.one()
        return inserted


async def get(session: AsyncSession, *, tenant_id: str, reply_id: UUID) -> Row[Any] | None:
    result = await session.execute(
        select(saved_reply).where(
            saved_reply.c.tenant_id == tenant_id, saved_reply.c.id == reply_id
        )
    )
    row: Row[Any] | None = result.first()
    return row


async def list_all(
    session: AsyncSession,
    *,
    tenant_id: str,
    brand_id: str | None,
    brand_ids: frozenset[str] | None,
) -> Sequence[Row[Any]]:
    """The tenant's replies by name; with a brand, that brand's and the tenant-wide ones; with
    `brand_ids`, only those brands' and the tenant-wide ones."""
    stmt = select(saved_reply).where(saved_reply.c.tenant_id == tenant_id)
    if brand_id is not None:
        stmt = stmt.where((saved_reply.c.brand_id == brand_id) | saved_reply.c.brand_id.is_(None))
    if brand_ids is not None:
        stmt = stmt.where(saved_reply.c.brand_id.in_(brand_ids) | saved_reply.c.brand_id.is_(None))
    return (await session.execute(stmt.order_by(saved_reply.c.name, saved_reply.c.id))).all()


async def update_one(
    session: AsyncSession, *, tenant_id: str, reply_id: UUID, values: dict[str, Any]
) -> Row[Any] | None:
    """The updated row or None; a taken name raises IntegrityError, like `insert_one`."""
    async with session.begin_nested():
        result = await session.execute(
            update(saved_reply)
            .where(saved_reply.c.tenant_id == tenant_id, saved_reply.c.id == reply_id)
            .values(values)
            .returning(saved_reply)
        )
        row: Row[Any] | None = result.first()
        return row


async def delete_one(session: AsyncSession, *, tenant_id: str, reply_id: UUID) -> bool:
    result = await session.execute(
        delete(saved_reply)
        .where(saved_reply.c.tenant_id == tenant_id, saved_reply.c.id == reply_id)
        .returning(saved_reply.c.id)
    )
    return result.first() is not None
