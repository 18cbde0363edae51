"""Consumed events: conversations the inbox resolved close their comments' review items."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.consumer import Consumer
from beacon_shared.contracts.inbox import ConversationResolved
from beacon_shared.contracts.topics import CONVERSATION_RESOLVED
from beacon_shared.events import Envelope
from beacon_shared.logging import get_logger
from moderation.review import service

log = get_logger(__name__)
GROUP_ID = "moderation.inbox-resolutions"


async def conversation_resolved(session: AsyncSession, envelope: Envelope) -> None:
    """Close the review items still waiting on the conversation's comments."""
    event = envelope.payload(ConversationResolved)
    closed = await service.close_from_inbox(
        session,
        tenant_id=envelope.tenantid,
        conversation_id=event.conversation_id,
        interaction_ids=event.interaction_ids,
        resolved_by=event.resolved_by,
        cause=envelope,
    )
    if closed:
        log.info(
            "review.closed_from_inbox",
            tenant_id=envelope.tenantid,
            conversation_id=str(event.conversation_id),
            closed=closed,
        )


def inbox_resolutions_consumer() -> Consumer:
    """The consumer group that closes review items the inbox resolved."""
    return Consumer(
        group_id=GROUP_ID,
        topics=[CONVERSATION_RESOLVED.name],
        handlers={ConversationResolved.event_type: conversation_resolved},
    )
