"""What an erasure request deletes of the review queue."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from moderation.db import delete_about
from moderation.review.models import review_item


async def erase(session: AsyncSession, *, tenant_id: str, interaction_ids: Sequence[UUID]) -> int:
    """Delete the review items of these interactions; how many."""
    return await delete_about(
        session, review_item, tenant_id=tenant_id, interaction_ids=interaction_ids
    )
