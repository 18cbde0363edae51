"""All SQL of network actions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared import leases
from ingest.actions.models import ActionStatus, network_action

c = network_action.c
PENDING = ActionStatus.pending.value


async def insert_requests(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert requested actions; those already stored (same id) are left as they are."""
    if not rows:
        return 0
    result = await session.execute(
        insert(network_action)
        .values([dict(r) for r in rows])
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(c.id)
    )
    return len(result.all())


async def claim_due(
    session: AsyncSession, *, now: datetime, hold_until: datetime, lease: UUID, limit: int
) -> list[Row[Any]]:
    """Take up to `limit` pending actions due at `now`, oldest due first, under `lease` until
    `hold_until`; rows another transaction is claiming are skipped, never waited for."""
    claimed = await leases.claim(
        session,
        network_action,
        where=[c.status == PENDING, c.next_attempt_at <= now],
        order_by=[c.next_attempt_at, c.id],
        limit=limit,
        lease={"next_attempt_at": hold_until, "lease": lease, "updated_at": now},
    )
    return sorted(claimed, key=lambda row: (row.created_at, row.id))


async def update_held(
    session: AsyncSession, *, action_id: UUID, lease: UUID, values: Mapping[str, Any]
) -> Row[Any] | None:
    """Apply `values` to a pending action only while `lease` still holds it; the row after, or
    None when the lease was lost (the hold expired and another executor took it)."""
    result = await session.execute(
        update(network_action)
        .where(c.id == action_id, c.lease == lease, c.status == PENDING)
        .values(dict(values))
        .returning(*c)
    )
    return result.first()


async def release(session: AsyncSession, *, action_id: UUID, lease: UUID, now: datetime) -> None:
    """Give back an action claimed but not started: due again at once, for any executor."""
    await session.execute(
        update(network_action)
        .where(
            c.id == action_id,
            c.lease == lease,
            c.status == PENDING,
            c.attempt_started_at.is_(None),
        )
        .values(next_attempt_at=now, lease=None, updated_at=func.now())
    )


async def get(session: AsyncSession, *, action_id: UUID) -> Row[Any] | None:
    """One action as stored."""
    result = await session.execute(select(network_action).where(c.id == action_id))
    return result.first()
