"""Erasure requests: the author's interactions erased in one transaction, and the count reported
to the workspace's receipt."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared import outbox
from beacon_shared.consumer import Consumer
from beacon_shared.contracts.ingest import ErasureCompleted
from beacon_shared.contracts.topics import ERASURE_REQUESTED
from beacon_shared.contracts.workspace import ErasureRequested
from beacon_shared.events import Envelope
from beacon_shared.logging import get_logger
from ingest.actions.erasure import forget_handles
from ingest.db import outbox as outbox_table
from ingest.interactions.erasure import erase_authored

log = get_logger(__name__)
GROUP_ID = "ingest.erasures"
SOURCE = "/beacon/ingest"


async def erasure_requested(session: AsyncSession, envelope: Envelope) -> None:
    """Erase the author's interactions and report what was erased."""
    request = envelope.payload(ErasureRequested)
    erased = await erase_authored(
        session,
        tenant_id=envelope.tenantid,
        brand_id=request.brand_id,
        network=request.network.value,
        author_id=request.author_id,
    )
    actions = await forget_handles(session, tenant_id=envelope.tenantid, interaction_ids=erased)
    counts = {"interactions": len(erased), "actions": actions}
    completed = ErasureCompleted(
        erasure_id=request.erasure_id, erased=counts, completed_at=datetime.now(UTC)
    )
    await outbox.stage(
        session,
        outbox_table,
        [
            Envelope.build(
                completed,
                tenant_id=envelope.tenantid,
                subject=str(request.erasure_id),
                source=SOURCE,
                cause=envelope,
            )
        ],
    )
    log.info("erasure.completed", erasure_id=str(request.erasure_id), **counts)


def erasures_consumer() -> Consumer:
    """The group reading the workspace's erasure requests."""
    return Consumer(
        group_id=GROUP_ID,
        topics=[ERASURE_REQUESTED.name],
        handlers={ErasureRequested.event_type: erasure_requested},
    )
