"""Consumed events: moderation's action requests and the inbox's replies are stored once, for the
one executor that carries out both."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.consumer import Consumer
from beacon_shared.contracts.inbox import ReplyRequested
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


async def handle_reply_requested(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
    """Store a batch of the inbox's replies, as moderation's requests are stored."""
    requests = [(env, env.payload(ReplyRequested)) for env in envelopes]
    await service.record_requests(session, requests)


def actions_consumer() -> Consumer:
    """The consumer group that takes moderation's action requests and the inbox's replies."""
    return Consumer(
        group_id=GROUP_ID,
        topics=[ACTION_REQUESTED.name],
        batch_handlers={
            ActionRequested.event_type: handle_action_requested,
            ReplyRequested.event_type: handle_reply_requested,
        },
    )
