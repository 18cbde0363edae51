"""Deciding each received comment once and staging its event in the same transaction."""

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
from beacon_shared.contracts.ingest import CommentReceived
from beacon_shared.contracts.moderation import CommentModerated
from beacon_shared.events import Envelope
from beacon_shared.logging import get_logger
from beacon_shared.pagination import Cursor
from moderation.db import outbox as outbox_table
from moderation.decisions import repository
from moderation.decisions.exceptions import DecisionNotFound
from moderation.decisions.models import EXCERPT_CHARS
from moderation.decisions.schemas import DecisionQuery
from moderation.rules import Policy, Verdict

SOURCE = "/beacon/moderation"
log = get_logger(__name__)


@dataclass(frozen=True)
class ReceivedComment:
    """A comment.received event and its validated payload."""

    envelope: Envelope
    comment: CommentReceived

    @property
    def tenant_id(self) -> str:
        """The tenant the comment belongs to."""
        return self.envelope.tenantid


async def decide(
    session: AsyncSession, received: Sequence[ReceivedComment], *, policy: Policy
) -> list[UUID]:
    """Record a decision for each comment not decided yet and stage its event; returns new ids."""
    now = datetime.now(UTC)
    # The same comment twice in one batch is decided once.
    unique: dict[tuple[str, UUID], ReceivedComment] = {}
    for item in received:
        unique.setdefault((item.tenant_id, item.comment.interaction_id), item)
    if not unique:
        return []
    verdicts = policy.decide_many([item.comment for item in unique.values()])
    pending = {
        key: (item, verdict, uuid.uuid4())
        for (key, item), verdict in zip(unique.items(), verdicts, strict=True)
    }
    rows = [_row(item, verdict, id_, now) for item, verdict, id_ in pending.values()]
    inserted = await repository.insert_new(session, rows)
    fresh = [entry for entry in pending.values() if entry[2] in inserted]
    await outbox.stage(
        session,
        outbox_table,
        [_event(item, verdict, id_, now) for item, verdict, id_ in fresh],
        keys=[item.comment.thread_external_id or item.comment.external_id for item, _, _ in fresh],
    )
    for item, verdict, id_ in fresh:
        log.info(
            "decision.recorded",
            decision_id=str(id_),
            tenant_id=item.tenant_id,
            interaction_id=str(item.comment.interaction_id),
            action=verdict.action.value,
            decided_by=verdict.decided_by,
        )
    if len(fresh) < len(pending):
        log.info("decision.already_recorded", count=len(pending) - len(fresh))
    return [id_ for _, _, id_ in fresh]


async def get(session: AsyncSession, *, tenant_id: str, decision_id: UUID) -> Row[Any]:
    """One decision of the tenant, or DecisionNotFound."""
    row = await repository.get(session, tenant_id=tenant_id, decision_id=decision_id)
    if row is None:
        raise DecisionNotFound(f"no decision {decision_id}")
    return row


async def list_page(
    session: AsyncSession, *, tenant_id: str, query: DecisionQuery
) -> tuple[Sequence[Row[Any]], str | None]:
    """A page of the tenant's decisions, newest first, and the cursor of the next one."""
    after = Cursor.decode(query.cursor) if query.cursor else None
    rows = await repository.list_page(
        session, tenant_id=tenant_id, query=query, after=after, limit=query.limit + 1
    )
    if len(rows) <= query.limit:
        return rows, None
    page = rows[: query.limit]
    last = page[-1]
    return page, Cursor(last.decided_at, last.id).encode()


def _row(item: ReceivedComment, verdict: Verdict, id_: UUID, now: datetime) -> dict[str, Any]:
    comment = item.comment
    return {
        "id": id_,
        "tenant_id": item.tenant_id,
        "interaction_id": comment.interaction_id,
        "brand_id": comment.brand_id,
        "network": comment.network.value,
        "kind": comment.kind.value,
        "external_id": comment.external_id,
        "thread_external_id": comment.thread_external_id,
        "author_handle": comment.author.handle,
        "text_excerpt": comment.text[:EXCERPT_CHARS],
        "action": verdict.action.value,
        "decided_by": verdict.decided_by,
        "reasons": list(verdict.reasons),
        "model_version": verdict.model_version,
        "scores": dict(verdict.scores),
        "decided_at": now,
    }


def _event(item: ReceivedComment, verdict: Verdict, id_: UUID, now: datetime) -> Envelope:
    comment = item.comment
    payload = CommentModerated(
        decision_id=id_,
        interaction_id=comment.interaction_id,
        brand_id=comment.brand_id,
        network=comment.network,
        external_id=comment.external_id,
        action=verdict.action,
        decided_by=verdict.decided_by,
        reasons=list(verdict.reasons),
        model_version=verdict.model_version,
        scores=dict(verdict.scores),
        decided_at=now,
    )
    return Envelope.build(
        payload, tenant_id=item.tenant_id, subject=str(id_), source=SOURCE, cause=item.envelope
    )
