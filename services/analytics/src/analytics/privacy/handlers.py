"""Erasure requests: the author's rollup rows (their interactions and sentiment by day) deleted,
and the count reported to the workspace's receipt."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from analytics.db import outbox as outbox_table
from analytics.rollups.erasure import erase_author_rows
from beacon_shared import outbox
from beacon_shared.consumer import Consumer
from beacon_shared.contracts.analytics import ErasureCompleted
from beacon_shared.contracts.topics import ERASURE_REQUESTED
from beacon_shared.contracts.workspace import ErasureRequested
from beacon_shared.events import Envelope
from beacon_shared.logging import get_logger

log = get_logger(__name__)
GROUP_ID = "analytics.erasures"
SOURCE = "/beacon/analytics"


async def erasure_requested(session: AsyncSession, envelope: Envelope) -> None:
    """Erase the author's rows and report how many."""
    request = envelope.payload(ErasureRequested)
    rows = await erase_author_rows(
        session,
        tenant_id=envelope.tenantid,
        brand_id=request.brand_id,
        network=request.network.value,
        author_id=request.author_id,
    )
    completed = ErasureCompleted(
        erasure_id=request.erasure_id,
        erased={"author_rollups": rows},
        completed_at=datetime.now(UTC),
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
    log.info("erasure.completed", erasure_id=str(request.erasure_id), author_rollups=rows)


def erasures_consumer() -> Consumer:
    """The group reading the workspace's erasure requests."""
    return Consumer(
        group_id=GROUP_ID,
        topics=[ERASURE_REQUESTED.name],
        handlers={ErasureRequested.event_type: erasure_requested},
    )
