"""All SQL of decisions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Row, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.pagination import Cursor
from moderation.decisions.models import decision
from moderation.decisions.schemas import DecisionQuery


async def insert_new(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> set[UUID]:
    """Insert rows, skipping comments already decided; returns the ids actually inserted."""
    # Parameters apart from the statement: it compiles once and stays cached, however many rows.
    result = await session.execute(
        insert(decision)
        .on_conflict_do_nothing(index_elements=["tenant_id", "interaction_id"])
        .returning(decision.c.id),
        list(rows),
    )
    return set(result.scalars())


async def get(session: AsyncSession, *, tenant_id: str, decision_id: UUID) -> Row[Any] | None:
    """One decision of the tenant."""
    result = await session.execute(
        select(decision).where(decision.c.tenant_id == tenant_id, decision.c.id == decision_id)
    )
    row: Row[Any] | None = result.first()
    return row


async def list_page(
    session: AsyncSession,
    *,
    tenant_id: str,
    query: DecisionQuery,
    brand_ids: frozenset[str] | None,
    after: Cursor | None,
    limit: int,
) -> Sequence[Row[Any]]:
    """Up to `limit` decisions of the tenant (of `brand_ids` unless None), newest first, strictly
    after `after`."""
    stmt = select(decision).where(decision.c.tenant_id == tenant_id)
    if brand_ids is not None:
        stmt = stmt.where(decision.c.brand_id.in_(brand_ids))
    if query.action is not None:
        stmt = stmt.where(decision.c.action == query.action.value)
    if query.brand_id is not None:
        stmt = stmt.where(decision.c.brand_id == query.brand_id)
    if query.since is not None:
        stmt = stmt.where(decision.c.decided_at >= query.since)
    if query.until is not None:
        stmt = stmt.where(decision.c.decided_at < query.until)
    if after is not None:
        stmt = stmt.where(tuple_(decision.c.decided_at, decision.c.id) < tuple_(after.at, after.id))
    stmt = stmt.order_by(decision.c.decided_at.desc(), decision.c.id.desc()).limit(limit)
    return (await session.execute(stmt)).all()


async def revise(
    session: AsyncSession,
    *,
    tenant_id: str,
    decision_id: UUID,
    values: dict[str, Any],
) -> Row[Any] | None:
    """Change a decision in place (a person overrode it); the updated row."""
    result = await session.execute(
        update(decision)
        .where(decision.c.tenant_id == tenant_id, decision.c.id == decision_id)
        .values(values)
        .returning(decision)
    )
    row: Row[Any] | None = result.first()
    return row
