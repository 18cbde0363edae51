"""Consumed events: the outcomes of requested network actions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.consumer import BatchHandler, Consumer
from beacon_shared.contracts.ingest import ActionCompleted
from beacon_shared.contracts.topics import ACTION_COMPLETED
from beacon_shared.events import Envelope
from moderation.actions import service

GROUP_ID = "moderation.action-outcomes"


async def action_completed(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
    """Record each outcome; a payload off contract is a MalformedEvent."""
    for envelope in envelopes:
        await service.record_outcome(session, envelope.tenantid, envelope.payload(ActionCompleted))


def outcomes_consumer() -> Consumer:
    """The consumer group that records network action outcomes."""
    handlers: dict[str, BatchHandler] = {ActionCompleted.event_type: action_completed}
    return Consumer(group_id=GROUP_ID, topics=[ACTION_COMPLETED.name], batch_handlers=handlers)
