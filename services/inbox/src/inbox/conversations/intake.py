"""Messages joining their conversations, and moderation's decisions shown on them.

Each interaction ingest received becomes one message of the conversation of its thread (found or
created per brand, network and kind); a new message opens again a resolved or snoozed
conversation. Moderation's decisions arrive on another topic, before or after their message: each
is kept on its own and joined to the message whichever comes second.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from uuid import UUID

from sqlalchemy import and_, case, func, literal_column, null, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.contracts.ingest import CommentReceived, InteractionKind
from beacon_shared.contracts.moderation import CommentModerated
from inbox.contacts import service as contacts
from inbox.conversations import events
from inbox.conversations.models import FOR_REVIEW, conversation, decision, message
from inbox.sla import clocks

# The conversation kind of each interaction kind: a reply belongs to its post's comment thread.
KINDS = {
    InteractionKind.comment: "comment",
    InteractionKind.reply: "comment",
    InteractionKind.mention: "mention",
    InteractionKind.direct_message: "direct_message",
}
PREVIEW_CHARS = 280
REOPENED = ("resolved", "snoozed")


async def receive(
    session: AsyncSession, *, tenant_id: str, comment: CommentReceived, now: datetime
) -> UUID | None:
    """File the interaction in its conversation (opened again when resolved or snoozed); the
    conversation's id, or None when it was filed before or is no conversation's."""
    kind = KINDS.get(comment.kind)
    if kind is None:
        return None
    await _one_at_a_time(session, tenant_id, comment.interaction_id)
    filed = await session.scalar(
        select(message.c.id).where(
            message.c.tenant_id == tenant_id, message.c.interaction_id == comment.interaction_id
        )
    )
    if filed is not None:
        return None
    contact_id = await contacts.identify(
        session,
        tenant_id=tenant_id,
        brand_id=comment.brand_id,
        network=comment.network.value,
        author=comment.author,
        at=comment.created_at,
        now=now,
    )
    was = await events.status_before(session, tenant_id=tenant_id, comment=comment, kind=kind)
    conversation_id = await _conversation_for(
        session, tenant_id=tenant_id, comment=comment, kind=kind, contact_id=contact_id, now=now
    )
    language = await session.scalar(
        select(decision.c.language).where(
            decision.c.tenant_id == tenant_id, decision.c.interaction_id == comment.interaction_id
        )
    )
    await session.execute(
        insert(message).values(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            conversation_id=conversation_id,
            brand_id=comment.brand_id,
            interaction_id=comment.interaction_id,
            kind=comment.kind.value,
            external_id=comment.external_id,
            parent_external_id=comment.parent_external_id,
            author_network_id=comment.author.network_id,
            author_handle=comment.author.handle,
            author_name=comment.author.display_name,
            contact_id=contact_id,
            text=comment.text,
            language=language,
            created_at=comment.created_at,
            received_at=comment.received_at,
        )
    )
    await clocks.started(session, conversation_id=conversation_id)
    await _summarise(session, conversation_id)
    await events.filed(
        session,
        tenant_id=tenant_id,
        conversation_id=conversation_id,
        comment=comment,
        kind=kind,
        was=was,
    )
    return conversation_id


async def _conversation_for(
    session: AsyncSession,
    *,
    tenant_id: str,
    comment: CommentReceived,
    kind: str,
    contact_id: UUID,
    now: datetime,
) -> UUID:
    c = conversation.c
    at = comment.created_at
    new = insert(conversation).values(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        brand_id=comment.brand_id,
        network=comment.network.value,
        kind=kind,
        thread_external_id=comment.thread_external_id or comment.external_id,
        account_id=comment.account_id,
        status="open",
        contact_network_id=comment.author.network_id,
        contact_handle=comment.author.handle,
        contact_name=comment.author.display_name,
        contact_id=contact_id,
        preview=comment.text[:PREVIEW_CHARS],
        message_count=1,
        created_at=now,
        last_message_at=at,
        last_inbound_at=at,
        waiting_since=at,
        updated_at=now,
    )
    reopen = c.status.in_(REOPENED)
    upsert = new.on_conflict_do_update(
        constraint="uq_conversation_thread",
        # Every expression reads the row as it was before this message.
        set_={
            "message_count": c.message_count + 1,
            "last_message_at": func.greatest(c.last_message_at, at),
            "last_inbound_at": func.greatest(c.last_inbound_at, at),
            "preview": case((c.last_message_at <= at, new.excluded.preview), else_=c.preview),
            "account_id": func.coalesce(c.account_id, new.excluded.account_id),
            "status": case((reopen, "open"), else_=c.status),
            "snoozed_until": case((reopen, null()), else_=c.snoozed_until),
            "resolved_at": case((reopen, null()), else_=c.resolved_at),
            # Waiting since the earliest message nobody answered.
            "waiting_since": func.least(c.waiting_since, at),
            "updated_at": now,
        },
    ).returning(c.id)
    conversation_id: UUID = (await session.execute(upsert)).scalar_one()
    return conversation_id


async def moderated(session: AsyncSession, *, tenant_id: str, event: CommentModerated) -> None:
    """Keep the decision unless a later one is kept; show it on its message, whose text is
    indexed again in the language moderation detected."""
    await _one_at_a_time(session, tenant_id, event.interaction_id)
    d = decision.c
    new = insert(decision).values(
        tenant_id=tenant_id,
        interaction_id=event.interaction_id,
        decision_id=event.decision_id,
        action=event.action.value,
        decided_by=event.decided_by,
        decided_at=event.decided_at,
        language=event.language,
        sentiment=event.sentiment_of(),
        intents=event.intents,
    )
    kept = await session.scalar(
        new.on_conflict_do_update(
            index_elements=[d.tenant_id, d.interaction_id],
            set_={
                "decision_id": new.excluded.decision_id,
                "action": new.excluded.action,
                "decided_by": new.excluded.decided_by,
                "decided_at": new.excluded.decided_at,
                # A person's revision does not detect the language again.
                "language": func.coalesce(new.excluded.language, d.language),
                "sentiment": func.coalesce(new.excluded.sentiment, d.sentiment),
                "intents": func.coalesce(new.excluded.intents, d.intents),
            },
            where=d.decided_at <= new.excluded.decided_at,
        ).returning(d.language)
    )
    m = message.c
    of_message = and_(m.tenant_id == tenant_id, m.interaction_id == event.interaction_id)
    if kept is not None:
        # The generated search vector follows the language.
        await session.execute(
            update(message)
            .where(of_message, m.language.is_distinct_from(kept))
            .values(language=kept)
        )
    conversation_id = await session.scalar(select(m.conversation_id).where(of_message))
    if conversation_id is not None:
        await _summarise(session, conversation_id)
    await events.moderated(
        session, tenant_id=tenant_id, event=event, conversation_id=conversation_id
    )


async def _one_at_a_time(session: AsyncSession, tenant_id: str, interaction_id: UUID) -> None:
    """A message and its decision arrive through two groups at once: whichever transaction comes
    second must see what the first wrote (the decision's language and flag on the message), so
    each takes the interaction's lock, held until it commits."""
    key = func.hashtextextended(f"{tenant_id}:{interaction_id}", 0)
    await session.execute(select(func.pg_advisory_xact_lock(key)))


async def _summarise(session: AsyncSession, conversation_id: UUID) -> None:
    """Count again the conversation's messages waiting for a person, and take the sentiment and
    the intents of its latest message that has them."""
    m, d = message.c, decision.c
    decided = (
        select()
        .select_from(message)
        .join(decision, and_(d.tenant_id == m.tenant_id, d.interaction_id == m.interaction_id))
        .where(m.conversation_id == conversation_id)
    )
    reviews = decided.add_columns(func.count()).where(d.action.in_(FOR_REVIEW))
    sentiment = (
        decided.add_columns(d.sentiment)
        .where(d.sentiment.is_not(None))
        .order_by(m.created_at.desc(), m.id.desc())
        .limit(1)
    )
    intents = (
        decided.add_columns(d.intents)
        .where(d.intents.is_not(None))
        .order_by(m.created_at.desc(), m.id.desc())
        .limit(1)
    )
    await session.execute(
        update(conversation)
        .where(conversation.c.id == conversation_id)
        .values(
            review_count=reviews.scalar_subquery(),
            sentiment=sentiment.scalar_subquery(),
            intents=func.coalesce(intents.scalar_subquery(), literal_column("'{}'::text[]")),
        )
    )
