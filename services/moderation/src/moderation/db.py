"""Moderation's schema and its platform tables."""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import Table, delete
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.consumer import inbox_table
from beacon_shared.db import make_metadata
from beacon_shared.outbox import outbox_table

SCHEMA = "moderation"
metadata = make_metadata(SCHEMA)
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)


async def delete_about(
    session: AsyncSession, table: Table, *, tenant_id: str, interaction_ids: Sequence[UUID]
) -> int:
    """Delete `table`'s rows about these interactions (an erasure request); how many."""
    if not interaction_ids:
        return 0
    result = await session.execute(
        delete(table).where(
            table.c.tenant_id == tenant_id, table.c.interaction_id.in_(interaction_ids)
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
