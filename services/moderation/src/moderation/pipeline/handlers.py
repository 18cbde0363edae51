"""Consumed events: each received comment is moderated."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.consumer import BatchHandler, Consumer
from beacon_shared.contracts.ingest import CommentReceived
from beacon_shared.contracts.topics import COMMENT_RECEIVED
from beacon_shared.events import Envelope
from moderation.decisions.service import ReceivedComment
from moderation.pipeline import service
from moderation.pipeline.service import Decider

GROUP_ID = "moderation.comments"


def comment_received_handler(decider: Decider) -> BatchHandler:
    """Moderates a batch of comment.received events; a payload off contract is a MalformedEvent."""

    async def handle(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
        received = [ReceivedComment(env, env.payload(CommentReceived)) for env in envelopes]
        await service.moderate(session, received, decider=decider)

    return handle


def comments_consumer(decider: Decider) -> Consumer:
    """The consumer group that moderates received comments."""
    return Consumer(
        group_id=GROUP_ID,
        topics=[COMMENT_RECEIVED.name],
        batch_handlers={CommentReceived.event_type: comment_received_handler(decider)},
    )
