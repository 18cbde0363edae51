"""All SQL of interactions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Row, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ingest.interactions.models import interaction


async def insert_new(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> set[UUID]:
    """Insert rows, skipping (tenant, network, external id) already stored; returns new ids."""
    result = await session.execute(
        insert(interaction)
        .values(list(rows))
        .on_conflict_do_nothing(index_elements=["tenant_id", "network", "external_id"])
        .returning(interaction.c.id)
    )
    return set(result.scalars())


async def ids_by_external(
    session: AsyncSession, *, tenant_id: str, network: str, external_ids: Sequence[str]
) -> dict[str, UUID]:
    """Stored ids of these external ids."""
    rows = await session.execute(
        select(interaction.c.external_id, interaction.c.id).where(
            interaction.c.tenant_id == tenant_id,
            interaction.c.network == network,
            interaction.c.external_id.in_(external_ids),
        )
    )
    return {row.external_id: row.id for row in rows}


async def get(session: AsyncSession, *, tenant_id: str, interaction_id: UUID) -> Row[Any] | None:
    """One interaction of the tenant."""
    result = await session.execute(
        select(interaction).where(
            interaction.c.tenant_id == tenant_id, interaction.c.id == interaction_id
        )
    )
    return result.first()
