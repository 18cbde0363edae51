"""Consumed events become bad-buzz observations, a batch at a time; and the consumer group."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from analytics.alerts import service, signals
from analytics.alerts.signals import Observation
from beacon_shared.consumer import BatchHandler, Consumer
from beacon_shared.contracts.ingest import CommentReceived
from beacon_shared.contracts.moderation import CommentModerated
from beacon_shared.contracts.topics import COMMENT_MODERATED, COMMENT_RECEIVED
from beacon_shared.events import Envelope
from beacon_shared.logging import get_logger

log = get_logger(__name__)

GROUP_ID = "analytics.alerts"


def observing(extract: Callable[[Envelope], Observation | None]) -> BatchHandler:
    """A batch handler counting what `extract` observes in each event."""

    async def handle(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
        observed = [o for o in map(extract, envelopes) if o is not None]
        changed = await service.observe(session, observed)
        log.debug("alerts.observed", events=len(envelopes), counted=len(observed), changed=changed)

    return handle


BATCH_HANDLERS = {
    CommentReceived.event_type: observing(signals.comment_received),
    CommentModerated.event_type: observing(signals.comment_moderated),
}


def alerts_consumer() -> Consumer:
    """The group watching every brand's comments and their sentiment for a bad buzz."""
    return Consumer(
        group_id=GROUP_ID,
        topics=[COMMENT_RECEIVED.name, COMMENT_MODERATED.name],
        batch_handlers=BATCH_HANDLERS,
    )
