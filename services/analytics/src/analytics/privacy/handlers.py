"""Erasure requests: the author's rollup rows (their interactions and sentiment by day) deleted,
and the count reported to the workspace's receipt."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from analytics.db import outbox as outbox_table
from analytics.rollups.erasure import erase_author_rows
from beacon_shared.consumer import Consumer
from beacon_shared.contracts.analytics import ErasureCompleted
from beacon_shared.contracts.workspace import ErasureRequested
from beacon_shared.erasures import erasure_handler
from beacon_shared.erasures import erasures_consumer as shared_consumer

GROUP_ID = "analytics.erasures"
SOURCE = "/beacon/analytics"


async def erase(session: AsyncSession, tenant_id: str, request: ErasureRequested) -> dict[str, int]:
    """Erase the author's own rollup rows."""
    rows = await erase_author_rows(
        session,
        tenant_id=tenant_id,
        brand_id=request.brand_id,
        network=request.network.value,
        author_id=request.author_id,
    )
    return {"author_rollups": rows}


erasure_requested = erasure_handler(
    erase, completed=ErasureCompleted, outbox_table=outbox_table, source=SOURCE
)


def erasures_consumer() -> Consumer:
    """The group reading the workspace's erasure requests."""
    return shared_consumer(GROUP_ID, erasure_requested)
