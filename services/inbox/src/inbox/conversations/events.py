"""The conversations' events out (`inbox.events_out`): a message filed, a decision shown, a
status or an assignment changed. Each is built from what the change already holds, so sending it
costs its append, not another read; the one read is the threads' statuses before new messages,
which tell a conversation opened again."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.contracts.ingest import CommentReceived
from beacon_shared.contracts.moderation import CommentModerated
from inbox.conversations.models import conversation
from inbox.db import keys_in
from inbox.events_out import (
    CONVERSATION_ASSIGNED,
    CONVERSATION_STATUS_CHANGED,
    MESSAGE_MODERATED,
    MESSAGE_RECEIVED,
    Event,
    publish,
)

# Who changed a conversation when nobody did: a new message, or the end of a snooze.
SYSTEM = "system"


# A conversation's thread: tenant, brand, network, kind and the thread's id.
Thread = tuple[str, str | None, str, str, str]
_c = conversation.c
THREAD_COLUMNS = (_c.tenant_id, _c.brand_id, _c.network, _c.kind, _c.thread_external_id)


async def statuses_before(session: AsyncSession, threads: Collection[Thread]) -> dict[Thread, str]:
    """The status of each conversation new messages join; a thread absent starts one."""
    rows = await session.execute(
        select(*THREAD_COLUMNS, _c.status).where(keys_in(THREAD_COLUMNS, threads))
    )
    return {
        (r.tenant_id, r.brand_id, r.network, r.kind, r.thread_external_id): r.status for r in rows
    }


@dataclass(frozen=True)
class Filed:
    """A message filed in its conversation, whose status was `was` before it (None: it started
    the conversation)."""

    tenant_id: str
    conversation_id: UUID
    comment: CommentReceived
    kind: str
    was: str | None


async def filed(session: AsyncSession, messages: Sequence[Filed]) -> None:
    """For each message, in order: `message.received`, and `conversation.status_changed` when it
    opened the conversation again; one append for all."""
    events: list[Event] = []
    for f in messages:
        comment = f.comment
        events.append(
            Event(
                f.tenant_id,
                comment.brand_id,
                MESSAGE_RECEIVED,
                {
                    "conversation_id": f.conversation_id,
                    "interaction_id": comment.interaction_id,
                    "brand_id": comment.brand_id,
                    "network": comment.network.value,
                    "conversation_kind": f.kind,
                    "kind": comment.kind.value,
                    "external_id": comment.external_id,
                    "author": comment.author.model_dump(mode="json"),
                    "text": comment.text,
                    "created_at": comment.created_at,
                    "received_at": comment.received_at,
                    "new_conversation": f.was is None,
                },
            )
        )
        if f.was in ("resolved", "snoozed"):
            events.append(
                _status(f.tenant_id, comment.brand_id, f.conversation_id, f.was, "open", by=SYSTEM)
            )
    await publish(session, events)


async def moderated(
    session: AsyncSession, *, tenant_id: str, event: CommentModerated, conversation_id: UUID | None
) -> None:
    """`message.moderated`: the decision now shown (the conversation is null while its message
    has not arrived)."""
    await publish(
        session,
        [
            Event(
                tenant_id,
                event.brand_id,
                MESSAGE_MODERATED,
                {
                    "conversation_id": conversation_id,
                    "interaction_id": event.interaction_id,
                    "decision_id": event.decision_id,
                    "brand_id": event.brand_id,
                    "network": event.network.value,
                    "action": event.action.value,
                    "decided_by": event.decided_by,
                    "decided_at": event.decided_at,
                    "sentiment": event.sentiment_of(),
                    "reasons": event.reasons,
                },
            )
        ],
    )


async def changed(
    session: AsyncSession, *, before: Sequence[Row[Any]], after: Sequence[Row[Any]], by: str
) -> None:
    """`conversation.status_changed` and `conversation.assigned` for each conversation whose
    status, or assignee or team, a person changed (`before` and `after` in the same order)."""
    events: list[Event] = []
    for old, new in zip(before, after, strict=True):
        if old.status != new.status or old.snoozed_until != new.snoozed_until:
            events.append(
                _status(
                    new.tenant_id,
                    new.brand_id,
                    new.id,
                    old.status,
                    new.status,
                    by=by,
                    snoozed_until=new.snoozed_until,
                )
            )
        if old.assignee != new.assignee or old.team_id != new.team_id:
            events.append(
                Event(
                    new.tenant_id,
                    new.brand_id,
                    CONVERSATION_ASSIGNED,
                    {
                        "conversation_id": new.id,
                        "brand_id": new.brand_id,
                        "assignee": new.assignee,
                        "previous_assignee": old.assignee,
                        "team_id": new.team_id,
                        "previous_team_id": old.team_id,
                        "by": by,
                    },
                )
            )
    await publish(session, events)


async def woken(session: AsyncSession, rows: Sequence[Row[Any]]) -> None:
    """`conversation.status_changed` for conversations whose snooze ended."""
    await publish(
        session,
        [_status(r.tenant_id, r.brand_id, r.id, "snoozed", "open", by=SYSTEM) for r in rows],
    )


def _status(
    tenant_id: str,
    brand_id: str | None,
    conversation_id: UUID,
    previous: str,
    status: str,
    *,
    by: str,
    snoozed_until: Any = None,
) -> Event:
    return Event(
        tenant_id,
        brand_id,
        CONVERSATION_STATUS_CHANGED,
        {
            "conversation_id": conversation_id,
            "brand_id": brand_id,
            "status": status,
            "previous_status": previous,
            "snoozed_until": snoozed_until,
            "by": by,
        },
    )
