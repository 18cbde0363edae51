"""Erasure requests: the author's messages and contact deleted in one transaction, their
conversations left without them, and the counts reported to the workspace's receipt."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.consumer import Consumer
from beacon_shared.contracts.inbox import ErasureCompleted
from beacon_shared.contracts.workspace import ErasureRequested
from beacon_shared.erasures import erasure_handler
from beacon_shared.erasures import erasures_consumer as shared_consumer
from inbox.contacts import erasure as contacts
from inbox.conversations import erasure as conversations
from inbox.db import SOURCE
from inbox.db import outbox as outbox_table
from inbox.stream import service as stream
from inbox.webhooks.service import WEBHOOKS

GROUP_ID = "inbox.erasures"


async def erase(session: AsyncSession, tenant_id: str, request: ErasureRequested) -> dict[str, int]:
    """Erase the author's messages, what was said about them, and their contact."""
    network, author_id = request.network.value, request.author_id
    contact_ids = await contacts.contacts_of(
        session,
        tenant_id=tenant_id,
        brand_id=request.brand_id,
        network=network,
        author_id=author_id,
    )
    deleted = await conversations.delete_messages(
        session,
        tenant_id=tenant_id,
        brand_id=request.brand_id,
        network=network,
        author_id=author_id,
        contact_ids=contact_ids,
    )
    interaction_ids = [interaction for _, interaction in deleted if interaction is not None]
    decisions = await conversations.delete_decisions(
        session, tenant_id=tenant_id, interaction_ids=interaction_ids
    )
    emptied = await conversations.empty_conversations(
        session,
        tenant_id=tenant_id,
        network=network,
        author_id=author_id,
        contact_ids=contact_ids,
        touched=sorted({conversation for conversation, _ in deleted}),
    )
    # The events about those messages (their text, their author) kept for the live stream and
    # the organization's webhooks, delivered or not.
    about = [str(i) for i in interaction_ids]
    events = await stream.forget(session, tenant_id=tenant_id, field="interaction_id", values=about)
    deliveries = await WEBHOOKS.forget(
        session, tenant_id=tenant_id, field="interaction_id", values=about
    )
    return {
        "messages": len(deleted),
        "decisions": decisions,
        "stream_events": events,
        "webhook_deliveries": deliveries,
        **await contacts.delete_contacts(session, contact_ids=contact_ids),
        "conversations_emptied": emptied,
    }


erasure_requested = erasure_handler(
    erase, completed=ErasureCompleted, outbox_table=outbox_table, source=SOURCE
)


def erasures_consumer() -> Consumer:
    """The group reading the workspace's erasure requests."""
    return shared_consumer(GROUP_ID, erasure_requested)
