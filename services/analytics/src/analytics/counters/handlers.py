"""Batch handlers turning consumed events into counter increments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from analytics.counters import service
from analytics.counters.metrics import EXTRACTORS, REVERSALS, Extractor
from beacon_shared.consumer import BatchHandler
from beacon_shared.events import Envelope
from beacon_shared.logging import get_logger

log = get_logger(__name__)


def counting(extract: Extractor, reverse: Extractor | None = None) -> BatchHandler:
    """A batch handler that sums the batch's increments (and take-backs) in one upsert."""

    async def handle(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
        keys = [key for envelope in envelopes for key in extract(envelope)]
        undone = [key for envelope in envelopes for key in reverse(envelope)] if reverse else []
        rows = await service.record(session, keys, undone=undone)
        log.debug("counters.recorded", events=len(envelopes), increments=len(keys), rows=rows)

    return handle


BATCH_HANDLERS: Mapping[str, BatchHandler] = {
    event_type: counting(extract, REVERSALS.get(event_type))
    for event_type, extract in EXTRACTORS.items()
}
