"""Storing requested actions once, claiming due ones, and recording each attempt and outcome.

An action's final status and its ActionCompleted event are written in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared import outbox
from beacon_shared.contracts.inbox import ReplyRequested
from beacon_shared.contracts.ingest import ActionCompleted, ActionOutcome, InteractionKind
from beacon_shared.contracts.moderation import ActionRequested
from beacon_shared.events import Envelope
from ingest.actions import repository
from ingest.actions.models import ActionStatus
from ingest.actions.schemas import ClaimedAction
from ingest.db import outbox as outbox_table
from ingest.interactions import service as interactions
from ingest.interactions.service import SOURCE

# Reasons are for people and the event; a network's error message is never longer than this.
MAX_ERROR_LENGTH = 1000


async def record_requests(
    session: AsyncSession, requests: Sequence[tuple[Envelope, ActionRequested]]
) -> int:
    """Store each requested action once, pending and due now; how many were new.

    The inbox's replies say what they answer (its kind, a private message's recipient and when
    the person last wrote); moderation's requests do not, so the interaction ingest stored tells.
    """
    now = datetime.now(UTC)
    known = await interactions.summaries(
        session,
        [
            (envelope.tenantid, request.interaction_id)
            for envelope, request in requests
            if not isinstance(request, ReplyRequested)
        ],
    )
    rows = [
        {
            "id": request.action_id,
            "tenant_id": envelope.tenantid,
            "brand_id": request.brand_id,
            "account_id": request.account_id,
            "decision_id": request.decision_id,
            "interaction_id": request.interaction_id,
            "network": request.network.value,
            "external_id": request.external_id,
            "thread_external_id": request.thread_external_id,
            "action": request.action.value,
            "reply_text": request.reply_text,
            "author_handle": request.author_handle,
            **_addressee(request, known.get((envelope.tenantid, request.interaction_id))),
            "requested_by": request.requested_by,
            "comment_created_at": request.comment_created_at,
            "requested_at": request.requested_at,
            "request_event_id": envelope.id,
            "correlation_id": envelope.correlationid,
            "status": ActionStatus.pending.value,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for envelope, request in requests
    ]
    return await repository.insert_requests(session, rows)


def _addressee(request: ActionRequested, interaction: Row[Any] | None) -> dict[str, Any]:
    """The kind of what is acted on and, for a private message, whom a reply goes to and when
    they last wrote: from the inbox's request, else from the stored interaction."""
    if isinstance(request, ReplyRequested):
        return {
            "kind": request.kind.value,
            "recipient_external_id": request.recipient_external_id,
            "last_inbound_at": request.last_inbound_at,
            "human_agent": request.human_agent,
        }
    if interaction is None:
        return {"kind": None}
    private = interaction.kind == InteractionKind.direct_message.value
    return {
        "kind": interaction.kind,
        # An author erased on request is nobody to write to ("").
        "recipient_external_id": (interaction.author_id or None) if private else None,
        "last_inbound_at": interaction.created_at if private else None,
    }


async def claim(
    session: AsyncSession, *, now: datetime, hold_until: datetime, lease: UUID, limit: int
) -> list[ClaimedAction]:
    """Due actions, held by `lease` from every other executor until `hold_until`."""
    rows = await repository.claim_due(
        session, now=now, hold_until=hold_until, lease=lease, limit=limit
    )
    return [ClaimedAction.from_row(row) for row in rows]


async def start_attempt(session: AsyncSession, action: ClaimedAction, *, now: datetime) -> bool:
    """Count a network call about to be made; False when the lease was lost (do not call)."""
    row = await repository.update_held(
        session,
        action_id=action.id,
        lease=action.lease,
        values={
            "attempts": action.attempts + 1,
            "attempt_started_at": now,
            "first_attempt_at": action.first_attempt_at or now,
            "uncertain_since": _uncertain_since(action),
            "updated_at": now,
        },
    )
    return row is not None


async def retry(
    session: AsyncSession,
    action: ClaimedAction,
    *,
    next_at: datetime,
    error: str,
    uncertain: bool,
    now: datetime,
) -> bool:
    """Due again at `next_at`; `uncertain` when the call just made may have acted unseen."""
    row = await repository.update_held(
        session,
        action_id=action.id,
        lease=action.lease,
        values={
            "next_attempt_at": next_at,
            "last_error": error[:MAX_ERROR_LENGTH],
            "attempt_started_at": None,
            "uncertain_since": _uncertain_since(action) or (now if uncertain else None),
            "lease": None,
            "updated_at": now,
        },
    )
    return row is not None


async def complete(
    session: AsyncSession,
    action: ClaimedAction,
    *,
    outcome: ActionOutcome,
    error: str | None,
    reply_external_id: str | None = None,
    now: datetime,
) -> Row[Any] | None:
    """Record the final outcome and stage its ActionCompleted, in the caller's transaction;
    None (nothing staged) when the lease was lost, so the event is staged once whoever acted."""
    row = await repository.update_held(
        session,
        action_id=action.id,
        lease=action.lease,
        values={
            "status": outcome.value,
            "last_error": error[:MAX_ERROR_LENGTH] if error else None,
            "reply_external_id": reply_external_id,
            "completed_at": now,
            "next_attempt_at": None,
            "attempt_started_at": None,
            "lease": None,
            "updated_at": now,
        },
    )
    if row is not None:
        await outbox.stage(
            session,
            outbox_table,
            [_completed_event(row)],
            keys=[row.thread_external_id or row.external_id],
        )
    return row


async def release(session: AsyncSession, action: ClaimedAction, *, now: datetime) -> None:
    """Give back an action claimed but not started, due again at once."""
    await repository.release(session, action_id=action.id, lease=action.lease, now=now)


async def get(session: AsyncSession, *, action_id: UUID) -> Row[Any] | None:
    """One action as stored, whatever its status."""
    return await repository.get(session, action_id=action_id)


def _uncertain_since(action: ClaimedAction) -> datetime | None:
    # A call cut off without a recorded outcome may have acted as much as one that timed out.
    return action.uncertain_since or action.attempt_started_at


def _completed_event(row: Row[Any]) -> Envelope:
    payload = ActionCompleted(
        action_id=row.id,
        decision_id=row.decision_id,
        interaction_id=row.interaction_id,
        brand_id=row.brand_id,
        account_id=row.account_id,
        network=row.network,
        external_id=row.external_id,
        action=row.action,
        outcome=ActionOutcome(row.status),
        attempts=row.attempts,
        error=row.last_error if row.status != ActionStatus.succeeded.value else None,
        reply_external_id=row.reply_external_id,
        requested_by=row.requested_by,
        comment_created_at=row.comment_created_at,
        completed_at=row.completed_at,
        reply_text=row.reply_text,
        thread_external_id=row.thread_external_id,
        kind=row.kind,
    )
    envelope = Envelope.build(
        payload,
        tenant_id=row.tenant_id,
        subject=str(row.id),
        source=SOURCE,
        correlation_id=row.correlation_id,
    )
    # The request is the cause; its envelope is not at hand, only its id.
    return envelope.model_copy(update={"causationid": str(row.request_event_id)})
