"""The review queue: comments wait here for a person, who claims, assigns and resolves them.

Resolving is a human decision: it replaces the rule's decision, asks ingest for the network action,
and is written to the audit log, all in the caller's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.auth.brands import require_on
from beacon_shared.auth.principal import Principal
from beacon_shared.contracts.moderation import ModerationAction, NetworkAction
from beacon_shared.events import Envelope
from beacon_shared.pagination import Cursor, split_page
from moderation.access import WRITE, in_brands, visible_brands
from moderation.actions import service as actions
from moderation.audit import service as audit
from moderation.comments import service as comments
from moderation.decisions import service as decisions
from moderation.learning import service as learning
from moderation.replies import service as replies
from moderation.review import assignees, repository
from moderation.review.exceptions import (
    PersonRequired,
    ReplyMissing,
    ReviewItemClaimed,
    ReviewItemNotFound,
    ReviewItemResolved,
)
from moderation.review.schemas import MINE, Resolution, ResolveIn, ReviewQuery

# Escalations come before flags for whoever filters on priority.
PRIORITY = {"escalate": 10, "flag": 0}
ACTIONS = {
    Resolution.approve: ModerationAction.allow,
    Resolution.hide: ModerationAction.hide,
    Resolution.delete: ModerationAction.delete,
    Resolution.reply: ModerationAction.reply,
}
NETWORK_ACTIONS = {
    Resolution.hide: NetworkAction.hide,
    Resolution.delete: NetworkAction.delete,
    Resolution.reply: NetworkAction.reply,
}


def item(
    *,
    tenant_id: str,
    brand_id: str | None,
    interaction_id: UUID,
    decision_id: UUID,
    reason: str,
    labels: Sequence[str] = (),
    assignee: str | None = None,
    assigned_by: str | None = None,
    now: datetime,
) -> dict[str, Any]:
    """A queue row for `enqueue_many`; `reason` is the action that sent it here, `assigned_by`
    the rule that gave it to `assignee`."""
    return {
        "id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "brand_id": brand_id,
        "interaction_id": interaction_id,
        "decision_id": decision_id,
        "status": "claimed" if assignee else "open",
        "reason": reason,
        "priority": PRIORITY.get(reason, 0),
        "labels": list(labels),
        "assignee": assignee,
        "assigned_by": assigned_by if assignee else None,
        "claimed_at": now if assignee else None,
        "created_at": now,
    }


async def enqueue_many(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Queue comments; one already queued stays as it is."""
    await repository.insert_new(session, rows)


async def list_page(
    session: AsyncSession,
    *,
    principal: Principal,
    query: ReviewQuery,
    brand_ids: frozenset[str] | None,
) -> tuple[Sequence[Row[Any]], str | None]:
    """A page of the queue (of `brand_ids` unless None), oldest first, and the cursor of the next
    one; `assignee=me` is the calling member."""
    after = Cursor.decode(query.cursor) if query.cursor else None
    rows = await repository.list_page(
        session,
        tenant_id=principal.tenant_id,
        query=query,
        assignee=_assignee_filter(principal, query.assignee),
        brand_ids=brand_ids,
        after=after,
        limit=query.limit + 1,
    )
    return split_page(rows, query.limit, at="created_at")


def _assignee_filter(principal: Principal, assignee: UUID | str | None) -> str | None:
    if assignee != MINE:
        return None if assignee is None else str(assignee)
    return str(_person(principal, "Only a member has items of their own: filter on a user id."))


def _person(principal: Principal, refusal: str) -> UUID:
    """The member acting (PersonRequired for an organization API key)."""
    if principal.user_id is None:
        raise PersonRequired(refusal)
    return principal.user_id


async def get(
    session: AsyncSession,
    *,
    tenant_id: str,
    item_id: UUID,
    brand_ids: frozenset[str] | None = None,
) -> Row[Any]:
    """One item (of one of `brand_ids` when given), or ReviewItemNotFound."""
    row = await repository.get(session, tenant_id=tenant_id, item_id=item_id)
    if row is None or not in_brands(row.brand_id, brand_ids):
        raise ReviewItemNotFound(f"no review item {item_id}")
    return row


async def get_with_comment(
    session: AsyncSession, *, principal: Principal, item_id: UUID
) -> tuple[Row[Any], Row[Any]]:
    """An item the caller may read, and its comment."""
    row = await get(
        session,
        tenant_id=principal.tenant_id,
        item_id=item_id,
        brand_ids=visible_brands(principal),
    )
    comment = await comments.get(
        session, tenant_id=principal.tenant_id, interaction_id=row.interaction_id
    )
    return row, comment


async def _changeable(session: AsyncSession, principal: Principal, item_id: UUID) -> Row[Any]:
    """An item the caller may read (else not found) and moderate (else brand_not_allowed)."""
    row = await get(
        session,
        tenant_id=principal.tenant_id,
        item_id=item_id,
        brand_ids=visible_brands(principal),
    )
    require_on(principal, WRITE, row.brand_id)
    return row


async def claim(session: AsyncSession, *, principal: Principal, item_id: UUID) -> Row[Any]:
    """The calling member takes an open item; claiming one they already hold is a no-op."""
    await _changeable(session, principal, item_id)
    person = _person(principal, "An API key claims nothing for itself: assign the item instead.")
    now = datetime.now(UTC)
    row = await repository.claim(
        session,
        tenant_id=principal.tenant_id,
        item_id=item_id,
        assignee=str(person),
        by=principal.actor,
        now=now,
    )
    if row is None:
        raise await _why_not(session, tenant_id=principal.tenant_id, item_id=item_id)
    await _audit(row, event="review.claimed", actor=principal.actor, session=session)
    return row


async def assign(
    session: AsyncSession, *, principal: Principal, item_id: UUID, assignee: UUID | None
) -> Row[Any]:
    """Give an unresolved item to a member who may moderate its brand (AssigneeNotAllowed
    otherwise), or back to the queue with None."""
    found = await _changeable(session, principal, item_id)
    if found.status == "resolved":
        raise ReviewItemResolved(f"review item {item_id} is resolved")
    if assignee is not None:
        await assignees.check(
            session, tenant_id=principal.tenant_id, brand_id=found.brand_id, user_id=assignee
        )
    now = datetime.now(UTC)
    row = await repository.set_assignee(
        session,
        tenant_id=principal.tenant_id,
        item_id=item_id,
        assignee=None if assignee is None else str(assignee),
        by=principal.actor,
        now=now,
    )
    if row is None:
        raise ReviewItemResolved(f"review item {item_id} is resolved")
    event = "review.assigned" if assignee else "review.released"
    await _audit(
        row,
        event=event,
        actor=principal.actor,
        session=session,
        detail={"assignee": None if assignee is None else str(assignee)},
    )
    return row


async def resolve(
    session: AsyncSession, *, principal: Principal, item_id: UUID, data: ResolveIn
) -> Row[Any]:
    """Decide the comment: replaces the rule's decision and asks for the network action. An item
    someone claimed is theirs to resolve."""
    if data.resolution is Resolution.reply and not (data.reply_text or data.saved_reply_id):
        raise ReplyMissing("set reply_text or saved_reply_id")
    tenant_id = principal.tenant_id
    await _changeable(session, principal, item_id)
    now = datetime.now(UTC)
    actor = principal.actor
    row = await repository.resolve(
        session,
        tenant_id=tenant_id,
        item_id=item_id,
        resolution=data.resolution.value,
        reviewer=actor,
        holder=None if principal.user_id is None else str(principal.user_id),
        now=now,
    )
    if row is None:
        raise await _why_not(session, tenant_id=tenant_id, item_id=item_id)
    await decisions.revise(
        session,
        tenant_id=tenant_id,
        decision_id=row.decision_id,
        action=ACTIONS[data.resolution],
        decided_by=actor,
        reasons=[f"review:{data.resolution.value}"],
    )
    comment = await comments.get(session, tenant_id=tenant_id, interaction_id=row.interaction_id)
    network_action = NETWORK_ACTIONS.get(data.resolution)
    if network_action is not None:
        reply_text = await _reply_text(session, tenant_id, data, comment)
        await actions.request_many(
            session,
            [
                actions.Request(
                    target=actions.Target.of_stored(comment),
                    action=network_action,
                    requested_by=actor,
                    decision_id=row.decision_id,
                    reply_text=reply_text,
                )
            ],
        )
    # Every resolution teaches the brand's model: hidden or deleted is "remove", else "keep".
    await learning.record_label(
        session,
        tenant_id=tenant_id,
        brand_id=row.brand_id,
        text=comment.text,
        remove=data.resolution in (Resolution.hide, Resolution.delete),
        interaction_id=row.interaction_id,
        labelled_by=actor,
    )
    detail = {"note": data.note} if data.note else {}
    await _audit(row, event="review.resolved", actor=actor, session=session, detail=detail)
    return row


async def _reply_text(
    session: AsyncSession, tenant_id: str, data: ResolveIn, comment: Row[Any]
) -> str | None:
    if data.resolution is not Resolution.reply:
        return None
    if data.reply_text:
        return data.reply_text
    assert data.saved_reply_id is not None  # checked on entry
    return await replies.render_for(
        session,
        tenant_id=tenant_id,
        brand_id=comment.brand_id,
        reply_id=data.saved_reply_id,
        author_name=comment.author_name,
        author_handle=comment.author_handle,
        network=comment.network,
    )


async def _why_not(
    session: AsyncSession, *, tenant_id: str, item_id: UUID
) -> ReviewItemResolved | ReviewItemClaimed:
    row = await get(session, tenant_id=tenant_id, item_id=item_id)
    if row.status == "resolved":
        return ReviewItemResolved(f"review item {item_id} was resolved by {row.resolved_by}")
    return ReviewItemClaimed(f"review item {item_id} is claimed by {row.assignee}")


async def _audit(
    row: Row[Any],
    *,
    event: str,
    actor: str,
    session: AsyncSession,
    detail: dict[str, Any] | None = None,
) -> None:
    await audit.record(
        session,
        tenant_id=row.tenant_id,
        brand_id=row.brand_id,
        event=event,
        actor=actor,
        action=row.resolution,
        interaction_id=row.interaction_id,
        decision_id=row.decision_id,
        detail={"review_item_id": str(row.id), **(detail or {})},
    )


async def close_from_inbox(
    session: AsyncSession,
    *,
    tenant_id: str,
    conversation_id: UUID,
    interaction_ids: Sequence[UUID],
    resolved_by: str,
    cause: Envelope,
) -> int:
    """A member resolved the conversation these comments are in, in the inbox: their items still
    waiting are approved (the comments stay as they are) in that member's name, so the queue
    does not keep work the inbox has closed. Unlike a review, this teaches the brand's model
    nothing: resolving a conversation is no judgement of each comment in it. How many closed."""
    closed = 0
    for interaction_id in interaction_ids:
        row = await repository.resolve_interaction(
            session,
            tenant_id=tenant_id,
            interaction_id=interaction_id,
            resolution=Resolution.approve.value,
            reviewer=resolved_by,
            now=datetime.now(UTC),
        )
        if row is None:
            continue
        await decisions.revise(
            session,
            tenant_id=tenant_id,
            decision_id=row.decision_id,
            action=ACTIONS[Resolution.approve],
            decided_by=resolved_by,
            reasons=["inbox:resolved"],
            cause=cause,
        )
        await _audit(
            row,
            event="review.resolved",
            actor=resolved_by,
            session=session,
            detail={"via": "inbox", "conversation_id": str(conversation_id)},
        )
        closed += 1
    return closed
