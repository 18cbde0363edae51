"""Consumed events: interactions join their conversations, decisions show on their messages."""

from __future__ import annotations

from collections.abc import Sequence
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


async def comments_received(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
    """File a batch of interactions in their conversations."""
    filed = await intake.receive(
        session,
        [(env.tenantid, env.payload(CommentReceived)) for env in envelopes],
        now=datetime.now(UTC),
    )
    for f in filed:
        log.debug(
            "message.filed",
            tenant_id=f.tenant_id,
            interaction_id=str(f.comment.interaction_id),
            conversation_id=str(f.conversation_id),
        )


async def comment_received(session: AsyncSession, envelope: Envelope) -> None:
    """File one interaction: a batch of one."""
    await comments_received(session, [envelope])


async def comment_moderated(session: AsyncSession, envelope: Envelope) -> None:
    """Show the decision on its message."""
    await intake.moderated(
        session, tenant_id=envelope.tenantid, event=envelope.payload(CommentModerated)
    )


def interactions_consumer() -> Consumer:
    """The group filing interactions ingest received, a fetch at a time."""
    return Consumer(
        group_id=INTERACTIONS_GROUP,
        topics=[COMMENT_RECEIVED.name],
        batch_handlers={CommentReceived.event_type: comments_received},
    )


def decisions_consumer() -> Consumer:
    """The group reading moderation's decisions; apart, so a backlog of one waits for neither."""
    return Consumer(
        group_id=DECISIONS_GROUP,
        topics=[COMMENT_MODERATED.name],
        handlers={CommentModerated.event_type: comment_moderated},
    )
