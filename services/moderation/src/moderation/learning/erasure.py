"""What an erasure request deletes of the brands' labels."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from moderation.db import delete_about
from moderation.learning.models import brand_label


async def erase(session: AsyncSession, *, tenant_id: str, interaction_ids: Sequence[UUID]) -> int:
    """Delete the labels reviewers gave these interactions; how many."""
    return await delete_about(
        session, brand_label, tenant_id=tenant_id, interaction_ids=interaction_ids
    )
