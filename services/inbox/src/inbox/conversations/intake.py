"""Messages joining their conversations, and moderation's decisions shown on them.

Each interaction ingest received becomes one message of the conversation of its thread (found or
created per brand, network and kind); a new message opens again a resolved or snoozed
conversation. The worker files them a batch at a time, in a few set-based statements whatever
its size, as the same messages filed one by one would be. Moderation's decisions arrive on
another topic, before or after their message: each is kept on its own and joined to the message
whichever comes second.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import (
    Text,
    and_,
    case,
    func,
    literal,
    literal_column,
    null,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.batch_sql import insert_rows
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


@dataclass(frozen=True)
class _New:
    """An interaction to file, of the conversation kind `kind`."""

    tenant_id: str
    comment: CommentReceived
    kind: str

    @property
    def thread(self) -> events.Thread:
        c = self.comment
        thread = c.thread_external_id or c.external_id
        return (self.tenant_id, c.brand_id, c.network.value, self.kind, thread)


@dataclass
class _Thread:
    """A thread's new messages in one batch, aggregated for its conversation's one upsert (which
    cannot touch a row twice): the first says who the conversation is with, the latest (the last
    of the latest written) gives the preview."""

    first: _New
    contact_id: UUID
    count: int
    earliest: datetime
    latest: _New
    account_id: str | None

    def add(self, new: _New) -> None:
        at = new.comment.created_at
        self.count += 1
        self.earliest = min(self.earliest, at)
        if self.latest.comment.created_at <= at:
            self.latest = new
        if self.account_id is None:
            self.account_id = new.comment.account_id


async def receive(
    session: AsyncSession, received: Sequence[tuple[str, CommentReceived]], *, now: datetime
) -> list[events.Filed]:
    """File each interaction (tenant, comment) in its conversation (opened again when resolved or
    snoozed), a batch in a few statements whatever its size; those filed now, in order (not those
    filed before, nor those of no conversation)."""
    unique: dict[tuple[str, UUID], _New] = {}
    for tenant_id, comment in received:
        kind = KINDS.get(comment.kind)
        if kind is not None:
            unique.setdefault((tenant_id, comment.interaction_id), _New(tenant_id, comment, kind))
    if not unique:
        return []
    await _one_at_a_time(session, unique)
    m = message.c
    filed = {
        (r.tenant_id, r.interaction_id)
        for r in await session.execute(
            select(m.tenant_id, m.interaction_id).where(
                tuple_(m.tenant_id, m.interaction_id).in_(list(unique))
            )
        )
    }
    new = [n for key, n in unique.items() if key not in filed]
    if not new:
        return []
    contact_ids = await contacts.identify(
        session,
        [
            contacts.Authored(
                n.tenant_id,
                n.comment.brand_id,
                n.comment.network.value,
                n.comment.author,
                n.comment.created_at,
            )
            for n in new
        ],
        now=now,
    )
    threads: dict[events.Thread, _Thread] = {}
    for n, contact_id in zip(new, contact_ids, strict=True):
        if n.thread in threads:
            threads[n.thread].add(n)
        else:
            at = n.comment.created_at
            threads[n.thread] = _Thread(n, contact_id, 1, at, n, n.comment.account_id)
    was = await events.statuses_before(session, threads)
    conversation_ids = await _conversations_for(session, threads, now=now)
    d = decision.c
    languages: dict[tuple[str, UUID], str | None] = {
        (r.tenant_id, r.interaction_id): r.language
        for r in await session.execute(
            select(d.tenant_id, d.interaction_id, d.language).where(
                tuple_(d.tenant_id, d.interaction_id).in_(
                    [(n.tenant_id, n.comment.interaction_id) for n in new]
                )
            )
        )
    }
    await session.execute(
        insert_rows(
            message,
            [
                {
                    "id": uuid.uuid4(),
                    "tenant_id": n.tenant_id,
                    "conversation_id": conversation_ids[n.thread],
                    "brand_id": n.comment.brand_id,
                    "interaction_id": n.comment.interaction_id,
                    "kind": n.comment.kind.value,
                    "external_id": n.comment.external_id,
                    "parent_external_id": n.comment.parent_external_id,
                    "author_network_id": n.comment.author.network_id,
                    "author_handle": n.comment.author.handle,
                    "author_name": n.comment.author.display_name,
                    "contact_id": contact_id,
                    "text": n.comment.text,
                    "language": languages.get((n.tenant_id, n.comment.interaction_id)),
                    "created_at": n.comment.created_at,
                    "received_at": n.comment.received_at,
                }
                for n, contact_id in zip(new, contact_ids, strict=True)
            ],
        )
    )
    # Once a conversation, after all its messages: the response clock starts at the earliest
    # wait as it would message by message (and the resolution clock, should a thread's messages
    # come out of order within one batch, at the earliest of them too).
    touched = sorted(set(conversation_ids.values()))
    for conversation_id in touched:
        await clocks.started(session, conversation_id=conversation_id)
    await _summarise(session, touched)
    out = []
    for n in new:
        before = was.get(n.thread)
        out.append(events.Filed(n.tenant_id, conversation_ids[n.thread], n.comment, n.kind, before))
        # What the thread's next message in the batch finds: its conversation, open again.
        was[n.thread] = "open" if before is None or before in REOPENED else before
    await events.filed(session, out)
    return out


async def _conversations_for(
    session: AsyncSession, threads: Mapping[events.Thread, _Thread], *, now: datetime
) -> dict[events.Thread, UUID]:
    """Each thread's conversation, made or updated with its new messages in one statement, the
    rows in a fixed order so that two batches never wait on each other in a circle."""
    c = conversation.c
    rows = []
    for key in sorted(threads, key=repr):
        t = threads[key]
        tenant_id, brand_id, network, kind, thread_external_id = key
        author = t.first.comment.author
        rows.append(
            {
                "id": uuid.uuid4(),
                "tenant_id": tenant_id,
                "brand_id": brand_id,
                "network": network,
                "kind": kind,
                "thread_external_id": thread_external_id,
                "account_id": t.account_id,
                "status": "open",
                "contact_network_id": author.network_id,
                "contact_handle": author.handle,
                "contact_name": author.display_name,
                "contact_id": t.contact_id,
                "preview": t.latest.comment.text[:PREVIEW_CHARS],
                "message_count": t.count,
                "created_at": now,
                "last_message_at": t.latest.comment.created_at,
                "last_inbound_at": t.latest.comment.created_at,
                "waiting_since": t.earliest,
                "updated_at": now,
            }
        )
    new = insert_rows(conversation, rows)
    x = new.excluded
    reopen = c.status.in_(REOPENED)
    upsert = new.on_conflict_do_update(
        constraint="uq_conversation_thread",
        # Every expression reads the row as it was before these messages.
        set_={
            "message_count": c.message_count + x.message_count,
            "last_message_at": func.greatest(c.last_message_at, x.last_message_at),
            "last_inbound_at": func.greatest(c.last_inbound_at, x.last_inbound_at),
            "preview": case((c.last_message_at <= x.last_message_at, x.preview), else_=c.preview),
            "account_id": func.coalesce(c.account_id, x.account_id),
            "status": case((reopen, "open"), else_=c.status),
            "snoozed_until": case((reopen, null()), else_=c.snoozed_until),
            "resolved_at": case((reopen, null()), else_=c.resolved_at),
            # Waiting since the earliest message nobody answered.
            "waiting_since": func.least(c.waiting_since, x.waiting_since),
            "updated_at": now,
        },
    ).returning(*events.THREAD_COLUMNS, c.id)
    return {
        (r.tenant_id, r.brand_id, r.network, r.kind, r.thread_external_id): r.id
        for r in await session.execute(upsert)
    }


async def moderated(session: AsyncSession, *, tenant_id: str, event: CommentModerated) -> None:
    """Keep the decision unless a later one is kept; show it on its message, whose text is
    indexed again in the language moderation detected."""
    await _one_at_a_time(session, [(tenant_id, event.interaction_id)])
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
        await _summarise(session, [conversation_id])
    await events.moderated(
        session, tenant_id=tenant_id, event=event, conversation_id=conversation_id
    )


async def _one_at_a_time(session: AsyncSession, interactions: Iterable[tuple[str, UUID]]) -> None:
    """A message and its decision arrive through two groups at once: whichever transaction comes
    second must see what the first wrote (the decision's language and flag on the message), so
    each takes its interactions' locks, held until it commits; in the order of their keys, so
    two transactions taking several never wait on each other in a circle."""
    names = sorted({f"{tenant_id}:{interaction_id}" for tenant_id, interaction_id in interactions})
    keys = (
        select(func.hashtextextended(func.unnest(literal(names, ARRAY(Text))), 0).label("key"))
        .distinct()
        .order_by("key")
        .subquery()
    )
    await session.execute(select(func.count(func.pg_advisory_xact_lock(keys.c.key))))


async def _summarise(session: AsyncSession, conversation_ids: Sequence[UUID]) -> None:
    """Count again each conversation's messages waiting for a person, and take the sentiment and
    the intents of its latest message that has them; one statement for all."""
    m, d, c = message.c, decision.c, conversation.c
    decided = (
        select()
        .select_from(message)
        .join(decision, and_(d.tenant_id == m.tenant_id, d.interaction_id == m.interaction_id))
        .where(m.conversation_id == c.id)
        .correlate(conversation)
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
        .where(c.id.in_(conversation_ids))
        .values(
            review_count=reviews.scalar_subquery(),
            sentiment=sentiment.scalar_subquery(),
            intents=func.coalesce(intents.scalar_subquery(), literal_column("'{}'::text[]")),
        )
    )
