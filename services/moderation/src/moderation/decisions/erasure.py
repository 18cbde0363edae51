"""What an erasure request deletes of decisions."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from moderation.db import delete_about
from moderation.decisions.models import decision


async def erase(session: AsyncSession, *, tenant_id: str, interaction_ids: Sequence[UUID]) -> int:
    """Delete the decisions on these interactions; how many."""
    return await delete_about(
        session, decision, tenant_id=tenant_id, interaction_ids=interaction_ids
    )
