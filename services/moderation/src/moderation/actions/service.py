"""Asking ingest to hide, delete or reply on the network, and recording how it went.

Ingest carries the actions out because it holds the connected accounts' credentials; moderation
only keeps the request, its outcome and the audit trail.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared import outbox
from beacon_shared.auth.brands import require_on
from beacon_shared.auth.principal import Principal
from beacon_shared.contracts.common import Network
from beacon_shared.contracts.ingest import ActionCompleted, CommentReceived
from beacon_shared.contracts.moderation import ActionRequested, NetworkAction
from beacon_shared.events import Envelope
from moderation.access import WRITE, visible_brands
from moderation.actions import repository
from moderation.audit import service as audit
from moderation.comments import service as comments
from moderation.comments.schemas import ActionIn
from moderation.db import outbox as outbox_table
from moderation.replies import service as replies

SOURCE = "/beacon/moderation"


@dataclass(frozen=True)
class Target:
    """The comment an action is taken on, as both a received event and a stored row know it."""

    tenant_id: str
    interaction_id: UUID
    brand_id: str | None
    account_id: str | None
    network: Network
    external_id: str
    thread_external_id: str | None
    created_at: datetime
    author_handle: str | None = None

    @classmethod
    def of_received(cls, tenant_id: str, comment: CommentReceived) -> Target:
        return cls(
            tenant_id=tenant_id,
            interaction_id=comment.interaction_id,
            brand_id=comment.brand_id,
            account_id=comment.account_id,
            network=comment.network,
            external_id=comment.external_id,
            thread_external_id=comment.thread_external_id,
            created_at=comment.created_at,
            author_handle=comment.author.handle,
        )

    @classmethod
    def of_stored(cls, row: Row[Any]) -> Target:
        """From a row of `comments.service.get`."""
        return cls(
            tenant_id=row.tenant_id,
            interaction_id=row.interaction_id,
            brand_id=row.brand_id,
            account_id=row.account_id,
            network=Network(row.network),
            external_id=row.external_id,
            thread_external_id=row.thread_external_id,
            created_at=row.created_at,
            author_handle=row.author_handle,
        )


@dataclass(frozen=True)
class Request:
    """One network action to ask for."""

    target: Target
    action: NetworkAction
    requested_by: str
    decision_id: UUID | None = None
    reply_text: str | None = None
    # The event that led to it, for correlation and causation ids.
    cause: Envelope | None = None


async def request_many(session: AsyncSession, requests: Sequence[Request]) -> list[UUID]:
    """Record the requests, stage their events and audit them, in the caller's transaction."""
    if not requests:
        return []
    now = datetime.now(UTC)
    ids = [uuid.uuid4() for _ in requests]
    await repository.insert_many(
        session, [_row(request, id_, now) for request, id_ in zip(requests, ids, strict=True)]
    )
    await outbox.stage(
        session,
        outbox_table,
        [_event(request, id_, now) for request, id_ in zip(requests, ids, strict=True)],
        keys=[r.target.thread_external_id or r.target.external_id for r in requests],
    )
    await audit.record_many(
        session,
        [
            audit.entry(
                tenant_id=r.target.tenant_id,
                brand_id=r.target.brand_id,
                event="action.requested",
                actor=r.requested_by,
                action=r.action.value,
                interaction_id=r.target.interaction_id,
                decision_id=r.decision_id,
                detail={
                    "action_id": str(id_),
                    **({"reply_text": r.reply_text} if r.reply_text else {}),
                },
                at=now,
            )
            for r, id_ in zip(requests, ids, strict=True)
        ],
    )
    return ids


async def record_outcome(session: AsyncSession, tenant_id: str, done: ActionCompleted) -> None:
    """Keep what ingest reports; a redelivered outcome changes nothing twice."""
    updated = await repository.complete(
        session,
        tenant_id=tenant_id,
        action_id=done.action_id,
        status=done.outcome.value,
        attempts=done.attempts,
        error=done.error,
        reply_external_id=done.reply_external_id,
        completed_at=done.completed_at,
    )
    if not updated:
        return
    await audit.record(
        session,
        tenant_id=tenant_id,
        brand_id=done.brand_id,
        event="action.completed",
        actor=done.requested_by,
        action=done.action,
        interaction_id=done.interaction_id,
        decision_id=done.decision_id,
        detail={
            "action_id": str(done.action_id),
            "outcome": done.outcome.value,
            "attempts": done.attempts,
            "error": done.error,
            "reply_external_id": done.reply_external_id,
        },
    )


async def comment_with_actions(
    session: AsyncSession,
    *,
    tenant_id: str,
    interaction_id: UUID,
    brand_ids: frozenset[str] | None = None,
) -> tuple[Row[Any], Sequence[Row[Any]]]:
    """A stored comment (of one of `brand_ids` when given) and the actions requested on it,
    oldest first."""
    row = await comments.get(
        session, tenant_id=tenant_id, interaction_id=interaction_id, brand_ids=brand_ids
    )
    taken = await repository.for_comment(
        session, tenant_id=tenant_id, interaction_id=interaction_id
    )
    return row, taken


async def act(
    session: AsyncSession, *, principal: Principal, interaction_id: UUID, data: ActionIn
) -> Row[Any]:
    """The caller's direct hide, delete or reply on a stored comment of a brand they moderate;
    the requested action row."""
    tenant_id = principal.tenant_id
    row = await comments.get(
        session,
        tenant_id=tenant_id,
        interaction_id=interaction_id,
        brand_ids=visible_brands(principal),
    )
    require_on(principal, WRITE, row.brand_id)
    reply_text = data.reply_text
    if data.saved_reply_id is not None:
        reply_text = await replies.render_for(
            session,
            tenant_id=tenant_id,
            brand_id=row.brand_id,
            reply_id=data.saved_reply_id,
            author_name=row.author_name,
            author_handle=row.author_handle,
            network=row.network,
        )
    (action_id,) = await request_many(
        session,
        [Request(Target.of_stored(row), data.action, principal.actor, reply_text=reply_text)],
    )
    return await repository.get(session, tenant_id=tenant_id, action_id=action_id)


async def for_comment(
    session: AsyncSession, *, tenant_id: str, interaction_id: UUID
) -> Sequence[Row[Any]]:
    """The actions requested on one comment, oldest first."""
    return await repository.for_comment(session, tenant_id=tenant_id, interaction_id=interaction_id)


def _row(request: Request, id_: UUID, now: datetime) -> dict[str, Any]:
    return {
        "id": id_,
        "tenant_id": request.target.tenant_id,
        "brand_id": request.target.brand_id,
        "interaction_id": request.target.interaction_id,
        "decision_id": request.decision_id,
        "action": request.action.value,
        "reply_text": request.reply_text,
        "status": "requested",
        "requested_by": request.requested_by,
        "requested_at": now,
    }


def _event(request: Request, id_: UUID, now: datetime) -> Envelope:
    target = request.target
    payload = ActionRequested(
        action_id=id_,
        decision_id=request.decision_id,
        interaction_id=target.interaction_id,
        brand_id=target.brand_id,
        account_id=target.account_id,
        network=target.network,
        external_id=target.external_id,
        thread_external_id=target.thread_external_id,
        action=request.action,
        reply_text=request.reply_text,
        author_handle=target.author_handle,
        requested_by=request.requested_by,
        comment_created_at=target.created_at,
        requested_at=now,
    )
    return Envelope.build(
        payload, tenant_id=target.tenant_id, subject=str(id_), source=SOURCE, cause=request.cause
    )
