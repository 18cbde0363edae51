"""Erasure requests: the author's interactions erased in one transaction, and the count reported
to the workspace's receipt."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.consumer import Consumer
from beacon_shared.contracts.ingest import ErasureCompleted
from beacon_shared.contracts.workspace import ErasureRequested
from beacon_shared.erasures import erasure_handler
from beacon_shared.erasures import erasures_consumer as shared_consumer
from ingest.actions.erasure import forget_handles
from ingest.db import outbox as outbox_table
from ingest.interactions.erasure import erase_authored

GROUP_ID = "ingest.erasures"
SOURCE = "/beacon/ingest"


async def erase(session: AsyncSession, tenant_id: str, request: ErasureRequested) -> dict[str, int]:
    """Erase the author's interactions and the handles kept on actions taken on them."""
    erased = await erase_authored(
        session,
        tenant_id=tenant_id,
        brand_id=request.brand_id,
        network=request.network.value,
        author_id=request.author_id,
    )
    actions = await forget_handles(session, tenant_id=tenant_id, interaction_ids=erased)
    return {"interactions": len(erased), "actions": actions}


erasure_requested = erasure_handler(
    erase, completed=ErasureCompleted, outbox_table=outbox_table, source=SOURCE
)


def erasures_consumer() -> Consumer:
    """The group reading the workspace's erasure requests."""
    return shared_consumer(GROUP_ID, erasure_requested)
