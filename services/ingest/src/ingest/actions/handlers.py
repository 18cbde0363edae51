"""Consumed events: moderation's action requests are stored once, for the executor."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.consumer import Consumer
from beacon_shared.contracts.moderation import ActionRequested
from beacon_shared.contracts.topics import ACTION_REQUESTED
from beacon_shared.events import Envelope
from ingest.actions import service

GROUP_ID = "ingest.actions"


async def handle_action_requested(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
    """Store a batch of requests; a payload off contract is a MalformedEvent (dead-lettered).

    Nothing is sent to a network here: the executor does that outside the consumer's
    transaction, so a slow network never holds a partition.
    """
    requests = [(env, env.payload(ActionRequested)) for env in envelopes]
    await service.record_requests(session, requests)


def actions_consumer() -> Consumer:
    """The consumer group that takes moderation's action requests."""
    return Consumer(
        group_id=GROUP_ID,
        topics=[ACTION_REQUESTED.name],
        batch_handlers={ActionRequested.event_type: handle_action_requested},
    )
