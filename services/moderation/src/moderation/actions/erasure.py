"""What an erasure request deletes of network actions."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from moderation.actions.models import network_action
from moderation.db import delete_about


async def erase(session: AsyncSession, *, tenant_id: str, interaction_ids: Sequence[UUID]) -> int:
    """Delete the actions requested on these interactions; how many."""
    return await delete_about(
        session, network_action, tenant_id=tenant_id, interaction_ids=interaction_ids
    )
