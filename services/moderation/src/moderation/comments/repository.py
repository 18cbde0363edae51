"""All SQL of stored comments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, Text, any_, distinct, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from moderation.comments.models import comment


async def insert_new(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Store comments; one already stored is left as it was."""
    if rows:
        await session.execute(insert(comment).on_conflict_do_nothing(), list(rows))


# Enough authors per text to pass the spam clue's threshold, without reading a viral campaign.
AUTHORS_PER_COPY = 10


async def authors_of_copies(
    session: AsyncSession, *, tenant_id: str, fingerprints: Sequence[str], since: datetime
) -> dict[str, set[str]]:
    """Up to AUTHORS_PER_COPY distinct authors of each fingerprint since `since`."""
    authors = func.array_agg(distinct(comment.c.author_id))
    result = await session.execute(
        select(comment.c.fingerprint, authors[1:AUTHORS_PER_COPY])
        .where(
            comment.c.tenant_id == tenant_id,
            comment.c.fingerprint == any_(literal(list(fingerprints), ARRAY(Text))),
            comment.c.received_at >= since,
        )
        .group_by(comment.c.fingerprint)
    )
    return {fp: set(ids) for fp, ids in result}


async def get(session: AsyncSession, *, tenant_id: str, interaction_id: UUID) -> Row[Any] | None:
    """One stored comment of the tenant."""
    result = await session.execute(
        select(comment).where(
            comment.c.tenant_id == tenant_id, comment.c.interaction_id == interaction_id
        )
    )
    return result.first()


async def of_interactions(
    session: AsyncSession, *, tenant_id: str, interaction_ids: Sequence[UUID]
) -> Sequence[Row[Any]]:
    """The tenant's stored comments among `interaction_ids`."""
    result = await session.execute(
        select(comment).where(
            comment.c.tenant_id == tenant_id,
            comment.c.interaction_id.in_(interaction_ids),
        )
    )
    return result.all()


async def latest(
    session: AsyncSession, *, tenant_id: str, brand_id: str, limit: int
) -> Sequence[Row[Any]]:
    """The brand's last `limit` comments, newest first."""
    result = await session.execute(
        select(comment)
        .where(comment.c.tenant_id == tenant_id, comment.c.brand_id == brand_id)
        .order_by(comment.c.received_at.desc())
        .limit(limit)
    )
    return result.all()
