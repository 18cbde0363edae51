"""What an erasure request changes in network actions."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from ingest.actions.models import network_action


async def forget_handles(
    session: AsyncSession, *, tenant_id: str, interaction_ids: list[UUID]
) -> int:
    """Forget the author's handle on the actions taken on these interactions; how many."""
    if not interaction_ids:
        return 0
    a = network_action.c
    result = await session.execute(
        update(network_action)
        .where(
            a.tenant_id == tenant_id,
            a.interaction_id.in_(interaction_ids),
            a.author_handle.is_not(None),
        )
        .values(author_handle=None)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
