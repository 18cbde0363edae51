"""All SQL of network actions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from moderation.actions.models import network_action


async def insert_many(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Record requested actions."""
    await session.execute(insert(network_action), list(rows))


async def complete(
    session: AsyncSession,
    *,
    tenant_id: str,
    action_id: UUID,
    status: str,
    attempts: int,
    error: str | None,
    reply_external_id: str | None,
    completed_at: datetime,
) -> bool:
    """Record the outcome of a still-requested action; False when unknown or already done."""
    result = await session.execute(
        update(network_action)
        .where(
            network_action.c.tenant_id == tenant_id,
            network_action.c.id == action_id,
            network_action.c.status == "requested",
        )
        .values(
            status=status,
            attempts=attempts,
            error=error,
            reply_external_id=reply_external_id,
            completed_at=completed_at,
        )
        .returning(network_action.c.id)
    )
    return result.first() is not None


async def for_comment(
    session: AsyncSession, *, tenant_id: str, interaction_id: UUID
) -> Sequence[Row[Any]]:
    """The comment's actions, oldest first."""
    result = await session.execute(
        select(network_action)
        .where(
            network_action.c.tenant_id == tenant_id,
            network_action.c.interaction_id == interaction_id,
        )
        .order_by(network_action.c.requested_at, network_action.c.id)
    )
    return result.all()


async def get(session: AsyncSession, *, tenant_id: str, action_id: UUID) -> Row[Any]:
    """One action of the tenant (it exists: the caller just requested it)."""
    result = await session.execute(
        select(network_action).where(
            network_action.c.tenant_id == tenant_id, network_action.c.id == action_id
        )
    )
    return result.one()
