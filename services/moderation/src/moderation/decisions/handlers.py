"""Consumed events: each received comment gets a decision."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.consumer import BatchHandler, Consumer
from beacon_shared.contracts.ingest import CommentReceived
from beacon_shared.contracts.topics import COMMENT_RECEIVED
from beacon_shared.events import Envelope
from moderation.decisions import service
from moderation.rules import Policy

GROUP_ID = "moderation.comments"


def comment_received_handler(policy: Policy) -> BatchHandler:
    """Decides a batch of comment.received events; a payload off contract is a MalformedEvent."""

    async def handle(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
        received = [service.ReceivedComment(env, env.payload(CommentReceived)) for env in envelopes]
        await service.decide(session, received, policy=policy)

    return handle


def comments_consumer(policy: Policy) -> Consumer:
    """The consumer group that moderates received comments."""
    return Consumer(
        group_id=GROUP_ID,
        topics=[COMMENT_RECEIVED.name],
        batch_handlers={CommentReceived.event_type: comment_received_handler(policy)},
    )
