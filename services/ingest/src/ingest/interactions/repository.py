"""All SQL of interactions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Row, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.pagination import Cursor
from ingest.interactions.models import interaction
from ingest.interactions.schemas import InteractionQuery

c = interaction.c
INSERT_CHUNK = 1_000


async def insert_new(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> set[UUID]:
    """Insert rows, skipping (tenant, network, external id) already stored; returns new ids."""
    new_ids: set[UUID] = set()
    # One statement per chunk keeps the bind parameters under PostgreSQL's 32,767.
    for start in range(0, len(rows), INSERT_CHUNK):
        result = await session.execute(
            insert(interaction)
            .values(list(rows[start : start + INSERT_CHUNK]))
            .on_conflict_do_nothing(index_elements=["tenant_id", "network", "external_id"])
            .returning(c.id)
        )
        new_ids.update(result.scalars())
    return new_ids


async def ids_by_external(
    session: AsyncSession, *, tenant_id: str, network: str, external_ids: Sequence[str]
) -> dict[str, UUID]:
    """Stored ids of these external ids."""
    rows = await session.execute(
        select(c.external_id, c.id).where(
            c.tenant_id == tenant_id,
            c.network == network,
            c.external_id.in_(external_ids),
        )
    )
    return {row.external_id: row.id for row in rows}


async def get(session: AsyncSession, *, tenant_id: str, interaction_id: UUID) -> Row[Any] | None:
    """One interaction of the tenant."""
    result = await session.execute(
        select(interaction).where(c.tenant_id == tenant_id, c.id == interaction_id)
    )
    return result.first()


async def list_interactions(
    session: AsyncSession,
    *,
    tenant_id: str,
    query: InteractionQuery,
    after: Cursor | None,
    limit: int,
) -> list[Row[Any]]:
    """Up to `limit` interactions of the tenant, newest received first, strictly after `after`."""
    stmt = select(interaction).where(c.tenant_id == tenant_id)
    if query.brand_id is not None:
        stmt = stmt.where(c.brand_id == query.brand_id)
    if query.account_id is not None:
        stmt = stmt.where(c.account_id == query.account_id)
    if query.network is not None:
        stmt = stmt.where(c.network == query.network.value)
    if query.kind:
        stmt = stmt.where(c.kind.in_([kind.value for kind in query.kind]))
    if query.since is not None:
        stmt = stmt.where(c.created_at >= query.since)
    if query.until is not None:
        stmt = stmt.where(c.created_at < query.until)
    if query.q is not None:
        # autoescape makes % and _ in the query match themselves.
        stmt = stmt.where(c.text.icontains(query.q, autoescape=True))
    if after is not None:
        stmt = stmt.where(tuple_(c.received_at, c.id) < tuple_(after.at, after.id))
    stmt = stmt.order_by(c.received_at.desc(), c.id.desc()).limit(limit)
    return list((await session.execute(stmt)).all())


async def list_thread(
    session: AsyncSession,
    *,
    tenant_id: str,
    network: str,
    thread_external_id: str,
    after: Cursor | None,
    limit: int,
) -> list[Row[Any]]:
    """Up to `limit` interactions of one thread, oldest first, strictly after `after`."""
    stmt = select(interaction).where(
        c.tenant_id == tenant_id,
        c.network == network,
        c.thread_external_id == thread_external_id,
    )
    if after is not None:
        stmt = stmt.where(tuple_(c.created_at, c.id) > tuple_(after.at, after.id))
    stmt = stmt.order_by(c.created_at, c.id).limit(limit)
    return list((await session.execute(stmt)).all())
