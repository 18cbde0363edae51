"""What an erasure request deletes of the rollups: the author's own rows. The brand's totals they
counted in stay; they say nothing about who."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.rollups.dimensions import Dimension
from analytics.rollups.facts import author_key
from analytics.rollups.models import rollup


async def erase_author_rows(
    session: AsyncSession, *, tenant_id: str, brand_id: str | None, network: str, author_id: str
) -> int:
    """Delete the author's rollup rows (on the brand, or every brand); how many there were."""
    r = rollup.c
    stmt = delete(rollup).where(
        r.tenant_id == tenant_id,
        r.dimension == Dimension.author.value,
        r.dimension_key == author_key(network, author_id),
    )
    if brand_id is not None:
        stmt = stmt.where(r.brand_id == brand_id)
    result = await session.execute(stmt)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
