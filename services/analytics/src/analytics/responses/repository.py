"""All SQL of first responses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.responses.models import first_response


async def insert_new(
    session: AsyncSession, rows: Sequence[dict[str, Any]]
) -> set[tuple[str, UUID]]:
    """Insert rows of comments without a first response yet; the (tenant, interaction) inserted."""
    result = await session.execute(
        insert(first_response)
        .on_conflict_do_nothing()
        .returning(first_response.c.tenant_id, first_response.c.interaction_id),
        list(rows),
    )
    return {(tenant, interaction) for tenant, interaction in result}
