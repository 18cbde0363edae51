"""Erasure requests: the author's messages and contact deleted in one transaction, their
conversations left without them, and the counts reported to the workspace's receipt."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared import outbox
from beacon_shared.consumer import Consumer
from beacon_shared.contracts.inbox import ErasureCompleted
from beacon_shared.contracts.topics import ERASURE_REQUESTED
from beacon_shared.contracts.workspace import ErasureRequested
from beacon_shared.events import Envelope
from beacon_shared.logging import get_logger
from inbox.contacts import erasure as contacts
from inbox.conversations import erasure as conversations
from inbox.db import SOURCE
from inbox.db import outbox as outbox_table
from inbox.stream import service as stream
from inbox.webhooks.service import WEBHOOKS

log = get_logger(__name__)
GROUP_ID = "inbox.erasures"


async def erasure_requested(session: AsyncSession, envelope: Envelope) -> None:
    """Erase the author's messages and contact, and report what was erased."""
    request = envelope.payload(ErasureRequested)
    tenant_id, network, author_id = envelope.tenantid, request.network.value, request.author_id
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
    counts = {
        "messages": len(deleted),
        "decisions": decisions,
        "stream_events": events,
        "webhook_deliveries": deliveries,
        **await contacts.delete_contacts(session, contact_ids=contact_ids),
        "conversations_emptied": emptied,
    }
    completed = ErasureCompleted(
        erasure_id=request.erasure_id, erased=counts, completed_at=datetime.now(UTC)
    )
    await outbox.stage(
        session,
        outbox_table,
        [
            Envelope.build(
                completed,
                tenant_id=tenant_id,
                subject=str(request.erasure_id),
                source=SOURCE,
                cause=envelope,
            )
        ],
    )
    log.info("erasure.completed", erasure_id=str(request.erasure_id), **counts)


def erasures_consumer() -> Consumer:
    """The group reading the workspace's erasure requests."""
    return Consumer(
        group_id=GROUP_ID,
        topics=[ERASURE_REQUESTED.name],
        handlers={ErasureRequested.event_type: erasure_requested},
    )
