"""Consumed events: interactions join their conversations, decisions show on their messages."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.consumer import Consumer
from beacon_shared.contracts.ingest import CommentReceived
from beacon_shared.contracts.moderation import CommentModerated
from beacon_shared.contracts.topics import COMMENT_MODERATED, COMMENT_RECEIVED
from beacon_shared.events import Envelope
from beacon_shared.logging import get_logger
from inbox.conversations import intake

log = get_logger(__name__)
INTERACTIONS_GROUP = "inbox.interactions"
DECISIONS_GROUP = "inbox.decisions"


async def comment_received(session: AsyncSession, envelope: Envelope) -> None:
    """File the interaction in its conversation."""
    comment = envelope.payload(CommentReceived)
    conversation_id = await intake.receive(
        session, tenant_id=envelope.tenantid, comment=comment, now=datetime.now(UTC)
    )
    if conversation_id is not None:
        log.debug(
            "message.filed",
            tenant_id=envelope.tenantid,
            interaction_id=str(comment.interaction_id),
            conversation_id=str(conversation_id),
        )


async def comment_moderated(session: AsyncSession, envelope: Envelope) -> None:
    """Show the decision on its message."""
    await intake.moderated(
        session, tenant_id=envelope.tenantid, event=envelope.payload(CommentModerated)
    )


def interactions_consumer() -> Consumer:
    """The group filing interactions ingest received."""
    return Consumer(
        group_id=INTERACTIONS_GROUP,
        topics=[COMMENT_RECEIVED.name],
        handlers={CommentReceived.event_type: comment_received},
    )


def decisions_consumer() -> Consumer:
    """The group reading moderation's decisions; apart, so a backlog of one waits for neither."""
    return Consumer(
        group_id=DECISIONS_GROUP,
        topics=[COMMENT_MODERATED.name],
        handlers={CommentModerated.event_type: comment_moderated},
    )
