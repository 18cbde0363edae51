"""Resolving a conversation closes moderation's review of its comments.

A comment moderation flagged or escalated waits in moderation's review queue and shows as waiting
in its conversation. A member who resolves the conversation has dealt with it: moderation is told
(`inbox.conversation.resolved`, through the outbox in the resolving transaction) and closes the
items; its revised decisions come back on `comment.moderated` and clear the conversation's count.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared import outbox
from beacon_shared.contracts.inbox import ConversationResolved
from beacon_shared.events import Envelope
from inbox.conversations import repository
from inbox.db import SOURCE
from inbox.db import outbox as outbox_table


async def resolved(
    session: AsyncSession, *, tenant_id: str, rows: Sequence[Row[Any]], by: str, at: datetime
) -> int:
    """Ask moderation to close the review items of the conversations just resolved (`rows`, as
    they are now); how many conversations had some."""
    events = []
    for row in rows:
        if row.review_count == 0:
            continue
        waiting = await repository.waiting_for_review(session, conversation_id=row.id)
        if not waiting:
            continue
        payload = ConversationResolved(
            conversation_id=row.id,
            brand_id=row.brand_id,
            interaction_ids=list(waiting),
            resolved_by=by,
            resolved_at=at,
        )
        events.append(
            (
                Envelope.build(payload, tenant_id=tenant_id, subject=str(row.id), source=SOURCE),
                str(row.id),
            )
        )
    if events:
        await outbox.stage(
            session, outbox_table, [e for e, _ in events], keys=[k for _, k in events]
        )
    return len(events)
