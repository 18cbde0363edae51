"""What an erasure request finds and deletes of the stored comments."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from moderation.comments.models import comment
from moderation.db import delete_about


async def authored(
    session: AsyncSession, *, tenant_id: str, brand_id: str | None, network: str, author_id: str
) -> list[UUID]:
    """The interactions whose comments the author wrote (on the brand, or every brand)."""
    c = comment.c
    stmt = select(c.interaction_id).where(
        c.tenant_id == tenant_id, c.network == network, c.author_id == author_id
    )
    if brand_id is not None:
        stmt = stmt.where(c.brand_id == brand_id)
    return list((await session.execute(stmt)).scalars())


async def erase(session: AsyncSession, *, tenant_id: str, interaction_ids: Sequence[UUID]) -> int:
    """Delete these comments (after what references them); how many."""
    return await delete_about(
        session, comment, tenant_id=tenant_id, interaction_ids=interaction_ids
    )
