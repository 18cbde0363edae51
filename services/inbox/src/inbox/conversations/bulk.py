"""One change to many conversations at once: assign, give to a team, label, resolve.

All or none: every conversation named must be one the caller may change, and the change valid
for each (the assignee allowed on every brand among them, at most 20 labels on each), else
nothing changes and the problem says which. The conversations are locked in id order while they
change, so labels added by two bulk changes at once are all kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.auth.brands import require_on
from beacon_shared.auth.principal import Principal
from beacon_shared.logging import get_logger
from inbox.access import READ, WRITE
from inbox.conversations import events, repository, reviews
from inbox.conversations.exceptions import ConversationNotFound, NothingToChange, TooManyLabels
from inbox.conversations.schemas import MAX_LABELS, BulkChange, Status
from inbox.conversations.service import values_of
from inbox.sla import clocks

log = get_logger(__name__)


async def change_many(
    session: AsyncSession, *, principal: Principal, data: BulkChange, now: datetime | None = None
) -> Sequence[Row[Any]]:
    """Apply `data` to each conversation it names; their rows after, in the order named."""
    now = now or datetime.now(UTC)
    ids = list(dict.fromkeys(data.conversation_ids))
    rows = {
        row.id: row
        for row in await repository.get_many(
            session, tenant_id=principal.tenant_id, conversation_ids=ids
        )
        if principal.allows_on(READ, row.brand_id)
    }
    missing = [str(i) for i in ids if i not in rows]
    if missing:
        raise ConversationNotFound(f"No conversations {', '.join(missing)}.")
    for row in rows.values():
        require_on(principal, WRITE, row.brand_id)
    values = await values_of(session, principal, data, {r.brand_id for r in rows.values()}, now)
    if not values and not data.add_labels and not data.remove_labels:
        raise NothingToChange(
            "Name a field to change: status, assignee, team_id, priority, labels."
        )
    changed = []
    for conversation_id in ids:
        labels = _labels(rows[conversation_id], data)
        after = await repository.change(
            session,
            tenant_id=principal.tenant_id,
            conversation_id=conversation_id,
            values=values | labels | {"updated_at": now},
        )
        assert after is not None  # locked above in this transaction
        if values.get("status") == Status.resolved.value:
            after = await clocks.resolved(session, row=after, at=now, by=principal.actor)
        changed.append(after)
    await events.changed(session, before=[rows[i] for i in ids], after=changed, by=principal.actor)
    if values.get("status") == Status.resolved.value:
        await reviews.resolved(
            session, tenant_id=principal.tenant_id, rows=changed, by=principal.actor, at=now
        )
    log.info(
        "conversation.bulk_changed",
        tenant_id=principal.tenant_id,
        count=len(changed),
        fields=sorted(values) + (["labels"] if data.add_labels or data.remove_labels else []),
        actor=principal.actor,
    )
    return changed


def _labels(row: Row[Any], data: BulkChange) -> dict[str, Any]:
    """The labels column after adding and removing, if either is asked."""
    if not data.add_labels and not data.remove_labels:
        return {}
    labels = sorted((set(row.labels) | set(data.add_labels)) - set(data.remove_labels))
    if len(labels) > MAX_LABELS:
        raise TooManyLabels(
            f"Conversation {row.id} would have {len(labels)} labels; at most {MAX_LABELS}."
        )
    return {"labels": labels}
