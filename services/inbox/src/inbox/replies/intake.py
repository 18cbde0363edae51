"""The brand's own messages joining their threads: the outcome of every reply sent through
Beacon (`action.completed`: the inbox's replies, and moderation's), and the comments, replies and
private messages the brand made natively on the network (`own.activity.recorded`).

A reply sent through Beacon is often heard of twice: its outcome, and the network's echo of it
(Messenger's `is_echo`, a Page's own comment). The thread keeps one copy, the one saying who sent
it: an echo whose network id a Beacon reply already has is not filed, and one filed first is
replaced when the outcome comes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.contracts.ingest import ActionCompleted, ActionOutcome, OwnActivityRecorded
from beacon_shared.logging import get_logger
from inbox.conversations import outbound
from inbox.conversations.intake import KINDS
from inbox.sla import clocks

log = get_logger(__name__)
REPLY = "reply"


class ThreadNotFiled(Exception):
    """The brand's message came before anything of its thread was filed: the comment a reply
    answers (the topics are read apart), or the customer's message a native reply follows."""


async def completed(
    session: AsyncSession, *, tenant_id: str, event: ActionCompleted, now: datetime
) -> UUID | None:
    """Show a reply's outcome in its thread: sent, with its network id, or failed with why; a
    reply the inbox did not ask for (moderation's) joins the thread of what it answered. The
    conversation's id, or None when it is no reply; ThreadNotFiled when what it answered is not
    filed yet."""
    if event.action != REPLY:
        return None
    found = await outbound.message_of(session, tenant_id=tenant_id, message_id=event.action_id)
    if found is not None:
        conversation_id: UUID = found.conversation_id
        text = found.text
    else:
        conversation = await outbound.conversation_of_interaction(
            session, tenant_id=tenant_id, interaction_id=event.interaction_id
        )
        if conversation is None:
            raise ThreadNotFiled(f"the comment {event.interaction_id} is not filed yet")
        conversation_id = conversation
        text = event.reply_text or ""
        await outbound.add_outbound(
            session,
            {
                "id": event.action_id,
                "tenant_id": tenant_id,
                "conversation_id": conversation_id,
                "brand_id": event.brand_id,
                "kind": event.kind.value if event.kind is not None else REPLY,
                "parent_external_id": event.external_id,
                "direction": "outbound",
                "sent_via": "beacon",
                "sent_by": event.requested_by,
                "delivery": "pending",
                "text": text,
                "created_at": event.completed_at,
                "received_at": now,
            },
        )
    sent = event.outcome is ActionOutcome.succeeded
    if sent and event.reply_external_id:
        echo = await outbound.echo_of(
            session, conversation_id=conversation_id, external_id=event.reply_external_id
        )
        if echo is not None:
            await outbound.drop(session, message_id=echo)
    await outbound.set_delivery(
        session,
        message_id=event.action_id,
        values={
            "delivery": "sent" if sent else "failed",
            "external_id": event.reply_external_id if sent else None,
            "delivery_error": None if sent else _why(event),
        },
    )
    await outbound.summarise(
        session,
        conversation_id=conversation_id,
        at=event.completed_at,
        text=text,
        answered=sent,
        now=now,
    )
    if sent:
        await clocks.record_response(
            session,
            tenant_id=tenant_id,
            conversation_id=conversation_id,
            responded_at=event.completed_at,
            responded_by=event.requested_by,
        )
    return conversation_id


def _why(event: ActionCompleted) -> str:
    reason = event.error or "no reason given"
    if event.outcome is ActionOutcome.unsupported:
        return f"unsupported: {reason}"
    return reason


async def own_activity(
    session: AsyncSession, *, tenant_id: str, event: OwnActivityRecorded, now: datetime
) -> UUID | None:
    """File the brand's native comment, reply or message in its thread, marked as sent outside
    Beacon; the conversation's id, or None when it is filed already; ThreadNotFiled when no
    conversation holds its thread (yet: the brand's own post with nobody's comment under it)."""
    conversation_id = None
    kind = KINDS.get(event.kind)
    if kind is not None and event.thread_external_id:
        conversation_id = await outbound.conversation_of_thread(
            session,
            tenant_id=tenant_id,
            brand_id=event.brand_id,
            network=event.network.value,
            kind=kind,
            thread_external_id=event.thread_external_id,
        )
    if conversation_id is None and event.parent_external_id:
        # A network whose thread ids differ between a reply and what it answers (X).
        conversation_id = await outbound.conversation_of_message(
            session, tenant_id=tenant_id, external_id=event.parent_external_id
        )
    if conversation_id is None:
        raise ThreadNotFiled(f"no conversation holds the thread of {event.external_id} yet")
    filed = await outbound.add_outbound(
        session,
        {
            "id": uuid.uuid4(),
            "tenant_id": tenant_id,
            "conversation_id": conversation_id,
            "brand_id": event.brand_id,
            "kind": event.kind.value,
            "external_id": event.external_id,
            "parent_external_id": event.parent_external_id,
            "direction": "outbound",
            "sent_via": "network",
            "delivery": "sent",
            "text": event.text,
            "created_at": event.created_at,
            "received_at": event.received_at,
        },
    )
    if not filed:
        return None
    await outbound.summarise(
        session,
        conversation_id=conversation_id,
        at=event.created_at,
        text=event.text,
        answered=True,
        now=now,
    )
    await clocks.record_response(
        session,
        tenant_id=tenant_id,
        conversation_id=conversation_id,
        responded_at=event.created_at,
        responded_by=None,
    )
    return conversation_id
