"""All SQL of erasure requests."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, insert, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.pagination import Cursor
from workspace.erasures.models import erasure, erasure_step


async def add(session: AsyncSession, *, values: Mapping[str, Any]) -> None:
    """Store a new request."""
    await session.execute(insert(erasure).values(**values))


async def get(session: AsyncSession, *, tenant_id: str, erasure_id: UUID) -> Row[Any] | None:
    """One request of the organization."""
    result = await session.execute(
        select(erasure).where(erasure.c.tenant_id == tenant_id, erasure.c.id == erasure_id)
    )
    return result.first()


async def page(
    session: AsyncSession,
    *,
    tenant_id: str,
    brand_ids: Collection[str] | None,
    after: Cursor | None,
    limit: int,
) -> Sequence[Row[Any]]:
    """Requests newest first; with `brand_ids`, only those about one of these brands."""
    c = erasure.c
    stmt = select(erasure).where(c.tenant_id == tenant_id)
    if brand_ids is not None:
        stmt = stmt.where(c.brand_id.in_(sorted(brand_ids)))
    if after is not None:
        stmt = stmt.where(tuple_(c.requested_at, c.id) < tuple_(after.at, after.id))
    stmt = stmt.order_by(c.requested_at.desc(), c.id.desc()).limit(limit)
    return (await session.execute(stmt)).all()


async def steps(session: AsyncSession, *, erasure_ids: Collection[UUID]) -> Sequence[Row[Any]]:
    """The services' reports on these requests."""
    if not erasure_ids:
        return []
    result = await session.execute(
        select(erasure_step).where(erasure_step.c.erasure_id.in_(list(erasure_ids)))
    )
    return result.all()


async def lock(session: AsyncSession, *, tenant_id: str, erasure_id: UUID) -> Row[Any] | None:
    """The request, locked while a service's report is added to it."""
    result = await session.execute(
        select(erasure)
        .where(erasure.c.tenant_id == tenant_id, erasure.c.id == erasure_id)
        .with_for_update()
    )
    return result.first()


async def add_step(
    session: AsyncSession,
    *,
    erasure_id: UUID,
    service: str,
    erased: Mapping[str, int],
    completed_at: datetime,
) -> None:
    """Keep a service's report; a second one from the same service changes nothing."""
    await session.execute(
        pg_insert(erasure_step)
        .values(
            erasure_id=erasure_id, service=service, erased=dict(erased), completed_at=completed_at
        )
        .on_conflict_do_nothing()
    )


async def complete(session: AsyncSession, *, erasure_id: UUID, at: datetime) -> None:
    """Mark the request completed at `at`."""
    await session.execute(
        update(erasure)
        .where(erasure.c.id == erasure_id, erasure.c.completed_at.is_(None))
        .values(completed_at=at)
    )
